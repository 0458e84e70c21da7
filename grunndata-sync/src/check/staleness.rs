//! Rules `register-stale` and `register-quarantine`: the state of the mirror itself.

use super::{CheckError, Findings};
use crate::store::{Register, Store};

const STALE: &str = "register-stale";
const QUARANTINE: &str = "register-quarantine";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let options = findings.options;
    let (stale, quarantine) = (options.wants(STALE), options.wants(QUARANTINE));
    if stale {
        for state in store.sync_states().await? {
            let register = state.register;
            let threshold = options
                .stale_after
                .get(&register)
                .copied()
                .unwrap_or(std::time::Duration::MAX);
            if state.is_stale(threshold, options.at) {
                let last = state.last_success_at.map_or_else(
                    || "has never been synced successfully".to_owned(),
                    |at| {
                        format!(
                            "was last synced successfully at {}",
                            at.format("%Y-%m-%d %H:%M UTC")
                        )
                    },
                );
                findings.push(
                    STALE,
                    register,
                    vec![("register", register.as_str().to_owned())],
                    format!(
                        "{register} {last} (threshold {})",
                        humantime_serde::re::humantime::format_duration(threshold)
                    ),
                );
            }
        }
    }
    if quarantine {
        for register in Register::ALL {
            if !options.wants_register(register) {
                continue;
            }
            let quarantined = store.counts(register).await?.quarantined;
            if quarantined > 0 {
                findings.push(
                    QUARANTINE,
                    register,
                    vec![("register", register.as_str().to_owned())],
                    format!("{register} has {quarantined} record(s) in quarantine"),
                );
            }
        }
    }
    Ok(())
}
