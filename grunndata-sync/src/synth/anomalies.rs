//! Planted consistency anomalies: one (or a known few) of every `grunndata check` rule's kind.
//!
//! With [`AnomalyOptions::enabled`](super::AnomalyOptions), [`Synth::new`] picks, from the seed,
//! which records carry an anomaly ([`Plan`]); each generator asks the plan about the record it
//! makes and changes it after generating it normally, so the rest of the world is the same as
//! without anomalies. [`Synth::planted_anomalies`] says how many findings each rule must give on
//! a mirror of the whole world (all registers, every Persontjenesten person of a health worker
//! tracked), judged at [`produced_at`](super::produced_at).
//!
//! Not planted: `register-stale` and `register-quarantine`, which are states of a mirror, not of
//! the data.

use std::collections::BTreeMap;

use super::Synth;
use super::seed;

/// Which records carry which anomaly. Indices are per register (enhet, underenhet, AR party,
/// HPR person = Persontjenesten person).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Underenheter whose `overordnetEnhet` is a number no enhet has.
    pub(crate) sub_parent_missing: Option<u64>,
    /// Underenheter whose `overordnetEnhet` is a deleted enhet: (underenhet, enhet).
    pub(crate) sub_parent_deleted: Option<(u64, u64)>,
    /// An underenhet whose `overordnetEnhet` fails validation.
    pub(crate) sub_parent_invalid: Option<u64>,
    /// An AR organisation whose organisation number is not generated.
    pub(crate) org_missing: Option<u64>,
    /// An AR organisation pointing at a deleted enhet: (party, enhet).
    pub(crate) org_inactive: Option<(u64, u64)>,
    /// An AR organisation whose organisation number fails validation.
    pub(crate) org_invalid: Option<u64>,
    /// An AR organisation whose signing certificate has expired.
    pub(crate) cert_expired: Option<u64>,
    /// An AR organisation whose encryption certificate expires in ten days.
    pub(crate) cert_expiring: Option<u64>,
    /// An AR organisation that copies another's number and name: (copy, original).
    pub(crate) org_duplicate: Option<(u64, u64)>,
    /// Two AR services that are each other's parent.
    pub(crate) cycle: Option<(u64, u64)>,
    /// An AR service whose parent HER-id does not exist.
    pub(crate) parent_missing: Option<u64>,
    /// An AR service beneath a deactivated person: (service, person).
    pub(crate) parent_inactive: Option<(u64, u64)>,
    /// An AR service with no EDI address and AMQP transport off.
    pub(crate) no_address: Option<u64>,
    /// An AR person whose HPR number does not exist.
    pub(crate) person_hpr_missing: Option<u64>,
    /// An HPR person (of an AR person) replaced by the next HPR number.
    pub(crate) hpr_replaced: Option<u64>,
    /// An HPR person (of an AR person) whose approvals have all expired.
    pub(crate) hpr_expired: Option<u64>,
    /// An HPR person with a requisition right under an expired approval.
    pub(crate) hpr_right: Option<u64>,
    /// A health worker registered deceased in Persontjenesten only.
    pub(crate) preg_deceased: Option<u64>,
    /// An HPR person carrying another's NIN: (copy, original).
    pub(crate) hpr_duplicate: Option<(u64, u64)>,
    /// An HPR person whose NIN fails validation.
    pub(crate) hpr_invalid_nin: Option<u64>,
}

/// Picks distinct indices in `0..n` that satisfy a condition, starting at a seed-chosen place.
struct Picker {
    seed: u64,
    taken: Vec<u64>,
}

impl Picker {
    fn pick(&mut self, salt: u64, n: u64, ok: impl Fn(u64) -> bool) -> Option<u64> {
        if n == 0 {
            return None;
        }
        let start = seed::below(seed::mix(self.seed ^ salt.wrapping_mul(0x9E37_79B9)), n);
        let found = (0..n)
            .map(|step| (start + step) % n)
            .find(|&index| !self.taken.contains(&index) && ok(index))?;
        self.taken.push(found);
        Some(found)
    }
}

impl Synth {
    /// Chooses the records that carry anomalies (see the module docs).
    pub(crate) fn plan_anomalies(&self) -> Plan {
        let c = self.counts;
        let mut plan = Plan::default();
        let seed = self.seed();

        let mut subs = Picker {
            seed,
            taken: Vec::new(),
        };
        let live_sub = |u: u64| !self.underenhet_is_deleted(u);
        let deleted_enhet = (0..c.enheter).find(|&e| self.enhet_is_deleted(e));
        plan.sub_parent_missing = subs.pick(1, c.underenheter, live_sub);
        plan.sub_parent_deleted =
            deleted_enhet.and_then(|e| subs.pick(2, c.underenheter, live_sub).map(|u| (u, e)));
        plan.sub_parent_invalid = subs.pick(3, c.underenheter, live_sub);

        let mut orgs = Picker {
            seed,
            taken: Vec::new(),
        };
        let n_orgs = c.ar_organizations;
        plan.org_missing = orgs.pick(11, n_orgs, |_| true);
        plan.org_inactive =
            deleted_enhet.and_then(|e| orgs.pick(12, n_orgs, |_| true).map(|k| (k, e)));
        plan.org_invalid = orgs.pick(13, n_orgs, |_| true);
        plan.cert_expired = orgs.pick(14, n_orgs, |_| true);
        plan.cert_expiring = orgs.pick(15, n_orgs, |_| true);
        let original = orgs.pick(16, n_orgs, |_| true);
        plan.org_duplicate = original.and_then(|o| orgs.pick(17, n_orgs, |_| true).map(|k| (k, o)));

        // Services and persons are AR indices offset past the organisations.
        let mut services = Picker {
            seed,
            taken: Vec::new(),
        };
        let service = |s: u64| n_orgs + s;
        let active = |s: u64| !self.ar_is_deactivated_base(service(s));
        let a = services.pick(21, c.ar_services, active);
        let b = services.pick(22, c.ar_services, active);
        plan.cycle = a.zip(b).map(|(a, b)| (service(a), service(b)));
        plan.parent_missing = services.pick(23, c.ar_services, active).map(service);
        plan.no_address = services.pick(24, c.ar_services, active).map(service);
        let inactive_child = services.pick(25, c.ar_services, active).map(service);

        let mut persons = Picker {
            seed,
            taken: Vec::new(),
        };
        let person = |r: u64| n_orgs + c.ar_services + r;
        let active_person = |r: u64| !self.ar_is_deactivated_base(person(r));
        let deactivated = persons.pick(31, c.ar_persons, |_| true).map(person);
        plan.parent_inactive = inactive_child.zip(deactivated);
        plan.person_hpr_missing = persons.pick(32, c.ar_persons, active_person).map(person);
        // HPR persons of active AR persons (AR person r is HPR person r * stride); the replaced
        // one needs a next number to be replaced by.
        let replaced = persons.pick(33, c.ar_persons, |r| {
            active_person(r) && r * self.hpr_stride + 1 < c.hpr_persons
        });
        plan.hpr_replaced = replaced.map(|r| r * self.hpr_stride);
        plan.hpr_expired = persons
            .pick(34, c.ar_persons, active_person)
            .map(|r| r * self.hpr_stride);

        // Health workers outside AR, alive, not merged, with a NIN, and not the target of the
        // planted replacement.
        let mut workers = Picker {
            seed,
            taken: Vec::new(),
        };
        let target = plan.hpr_replaced.map(|h| h + 1);
        let plain = |h: u64| {
            self.ar_person_of_hpr(h).is_none()
                && self.hpr_merged_into(h).is_none()
                && Some(h) != target
                && self.hpr_is_plain(h)
        };
        plan.hpr_right = workers.pick(41, c.hpr_persons, plain);
        plan.preg_deceased = workers.pick(42, c.hpr_persons, |h| {
            plain(h) && self.hpr_has_open_approval(h)
        });
        let original = workers.pick(43, c.hpr_persons, plain);
        plan.hpr_duplicate =
            original.and_then(|o| workers.pick(44, c.hpr_persons, plain).map(|h| (h, o)));
        plan.hpr_invalid_nin = workers.pick(45, c.hpr_persons, plain);
        plan
    }

    /// How many findings of each rule the planted anomalies give (every rule planted, by id),
    /// on a mirror of the whole world judged at [`produced_at`](super::produced_at). Empty when
    /// anomalies are off.
    pub fn planted_anomalies(&self) -> BTreeMap<&'static str, usize> {
        let Some(plan) = &self.plan else {
            return BTreeMap::new();
        };
        let one = |planted: bool| usize::from(planted);
        let invalid = one(plan.sub_parent_invalid.is_some())
            + one(plan.org_invalid.is_some())
            + one(plan.hpr_invalid_nin.is_some());
        [
            ("identifier-invalid", invalid),
            ("ar-org-missing-in-brreg", one(plan.org_missing.is_some())),
            ("ar-org-inactive-in-brreg", one(plan.org_inactive.is_some())),
            ("ar-parent-missing", one(plan.parent_missing.is_some())),
            ("ar-parent-inactive", one(plan.parent_inactive.is_some())),
            ("ar-parent-cycle", one(plan.cycle.is_some())),
            (
                "ar-person-hpr-missing",
                one(plan.person_hpr_missing.is_some()),
            ),
            ("ar-person-hpr-replaced", one(plan.hpr_replaced.is_some())),
            ("ar-person-not-authorised", one(plan.hpr_expired.is_some())),
            (
                "hpr-right-without-authorisation",
                one(plan.hpr_right.is_some()),
            ),
            (
                "hpr-deceased-with-open-approval",
                one(plan.preg_deceased.is_some()),
            ),
            (
                "brreg-parent-missing",
                one(plan.sub_parent_missing.is_some()),
            ),
            (
                "brreg-parent-deleted",
                one(plan.sub_parent_deleted.is_some()),
            ),
            ("ar-certificate-expired", one(plan.cert_expired.is_some())),
            ("ar-certificate-expiring", one(plan.cert_expiring.is_some())),
            ("ar-no-message-address", one(plan.no_address.is_some())),
            ("hpr-duplicate-nin", one(plan.hpr_duplicate.is_some())),
            (
                "ar-duplicate-organisation",
                one(plan.org_duplicate.is_some()),
            ),
        ]
        .into_iter()
        .filter(|&(_, count)| count > 0)
        .collect()
    }
}
