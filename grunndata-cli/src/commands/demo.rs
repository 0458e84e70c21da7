//! `grunndata demo`: the whole tool in one command, against a fake upstream on loopback.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use grunndata_sync::config::Config;
use grunndata_sync::core::id::{HerId, HprNumber, NationalId, OrgNumber};
use grunndata_sync::core::model::Name;
use grunndata_sync::engine::{Engine, NoProgress, Progress, Request, Sources};
use grunndata_sync::fake::{DataSource, FakeAuth, FakeConfig, FakeUpstream};
use grunndata_sync::registry::{PersonAnswer, Registry, RegistryOptions};
use grunndata_sync::store::{Location, Register, Store};
use grunndata_sync::synth::{AnomalyOptions, Synth, SynthConfig};

use super::common::{self, MirrorArgs};
use super::fake_upstream::{TemporaryDir, fake_config, generate_keys};
use super::sync::{Bars, print_report};
use crate::exit::Outcome;

/// The note the demo tracks its persons with; a mirror whose tracked persons all carry it
/// is a demo mirror, which the demo may replace.
const DEMO_NOTE: &str = "grunndata demo";

/// Synthetic persons the demo tracks.
const TRACKED: u64 = 5;

/// Try grunndata end to end: start a fake upstream (all four registers, synthetic data, real
/// HelseID/Maskinporten-style auth) on a free loopback port, sync it into the mirror, and show
/// the status and a few lookups.
///
/// Uses the default mirror (or --db). A mirror that holds real data is never touched: the
/// demo refuses it. A mirror made by an earlier demo is replaced.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    mirror: MirrorArgs,

    /// Size of the synthetic data relative to the national registers.
    #[arg(long, value_name = "F", default_value_t = 0.001, value_parser = super::synth::parse_scale)]
    scale: f64,

    /// Seed of the synthetic data.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,

    /// Serve data without the planted anomalies (by default a few records of every
    /// `grunndata check` rule's kind are planted, so that the check has something to show).
    #[arg(long)]
    clean: bool,
}

impl DemoArgs {
    /// Runs the demo.
    pub fn run(self) -> anyhow::Result<Outcome> {
        common::runtime()?.block_on(self.demo())
    }

    async fn demo(self) -> anyhow::Result<Outcome> {
        let config = self.mirror.load()?;
        let url = MirrorArgs::url(&config)?;
        let store = prepare_mirror(&url).await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "mirror: {}", store.location())?;

        let synth_config = SynthConfig {
            seed: self.seed,
            scale: self.scale,
            anomalies: AnomalyOptions {
                enabled: !self.clean,
            },
        };
        let synth = Synth::new(synth_config.clone())?;
        let keys_dir =
            std::env::temp_dir().join(format!("grunndata-demo-keys-{}", std::process::id()));
        let _remove_keys = TemporaryDir(keys_dir.clone());
        let keys = generate_keys(keys_dir).await?;
        let fake = FakeUpstream::start(FakeConfig {
            data: DataSource::Synth(synth_config),
            auth: Some(FakeAuth::new(keys.clone())),
            ..FakeConfig::default()
        })
        .await
        .context("starting the fake upstream")?;
        writeln!(
            out,
            "fake upstream (Brreg, Adresseregisteret, Persontjenesten, HPR; HelseID and Maskinporten token endpoints) on {}",
            fake.base_url()
        )?;

        for index in 0..TRACKED {
            let nin: NationalId = synth.preg_nin(index).parse()?;
            store.track_person(&nin, Some(DEMO_NOTE)).await?;
        }
        writeln!(
            out,
            "tracking {TRACKED} synthetic persons (Tenor numbers)\n"
        )?;
        out.flush()?;

        let sync_config = Config {
            store: config.store.clone(),
            ..fake_config(&fake, Some(&keys))
        };
        let sources = Sources::from_config(&sync_config, &Register::ALL)?;
        let progress: Arc<dyn Progress> = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            Arc::new(Bars::new())
        } else {
            Arc::new(NoProgress)
        };
        let report = {
            let _lock = store.writer_lock().await?;
            Engine::new(store.clone(), sources)
                .progress(progress)
                .run(&Register::ALL, &Request::Sync)
                .await
        };
        print_report(&mut out, &report)?;
        fake.shutdown().await;
        if !report.succeeded() {
            store.close().await;
            anyhow::bail!("the demo sync failed; see the report above");
        }

        writeln!(out)?;
        let found = samples(&mut out, &store, &synth).await?;
        store.close().await;
        next_steps(&mut out, &url, &synth, &found)?;
        out.flush()?;
        Ok(Outcome::Success)
    }
}

/// Opens the mirror at `url` for the demo: new or a demo's own (replaced), never one with
/// real data.
async fn prepare_mirror(url: &str) -> anyhow::Result<Store> {
    let existing = match Location::parse(url)? {
        Location::Sqlite(path) => path.exists().then_some(path),
        Location::Postgres(_) => None,
    };
    let store = Store::open(url).await.context("opening the mirror")?;
    if !holds_data(&store).await? {
        return Ok(store);
    }
    if !is_demo_mirror(&store).await? {
        store.close().await;
        anyhow::bail!(
            "{} already holds a mirror that the demo did not make; run the demo elsewhere with --db sqlite:///tmp/grunndata-demo.db",
            store.location()
        );
    }
    if let Some(path) = existing {
        store.close().await;
        remove_sqlite(&path)?;
        return Store::open(url).await.context("opening the mirror");
    }
    // A PostgreSQL demo mirror cannot be deleted as a file: untrack its persons (which
    // purges them) and drop the cursors, so the sync re-snapshots and sweeps the rest.
    for person in store.tracked_persons().await? {
        store.untrack_person(&person.nin).await?;
    }
    for register in Register::ALL {
        store.set_cursor(register, None).await?;
    }
    Ok(store)
}

async fn holds_data(store: &Store) -> anyhow::Result<bool> {
    for register in Register::ALL {
        if store.counts(register).await?.records > 0 {
            return Ok(true);
        }
    }
    Ok(!store.tracked_persons().await?.is_empty())
}

async fn is_demo_mirror(store: &Store) -> anyhow::Result<bool> {
    let tracked = store.tracked_persons().await?;
    Ok(!tracked.is_empty()
        && tracked
            .iter()
            .all(|person| person.note.as_deref() == Some(DEMO_NOTE)))
}

fn remove_sqlite(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", ".lock", ".open.lock"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("removing the old demo mirror {}", file.display()))?;
        }
    }
    Ok(())
}

/// Keys the demo looked up, for the commands it suggests next.
#[derive(Debug, Default)]
struct Samples {
    orgnr: Option<OrgNumber>,
    hpr: Option<(HprNumber, String)>,
    her_id: Option<HerId>,
}

/// A few lookups through the [`Registry`], as a journal system or helpdesk would make them.
async fn samples(
    out: &mut impl std::io::Write,
    store: &Store,
    synth: &Synth,
) -> anyhow::Result<Samples> {
    let registry = Registry::from_store(
        store.clone(),
        RegistryOptions {
            actor: DEMO_NOTE.to_owned(),
            ..RegistryOptions::default()
        },
    );
    let mut found = Samples::default();
    writeln!(
        out,
        "A few lookups from the mirror (grunndata::sync::registry::Registry):"
    )?;
    let orgnr: OrgNumber = synth.enhet_orgnr(0).parse()?;
    if let Some(view) = registry.organisation(&orgnr).await? {
        writeln!(
            out,
            "  organisation {orgnr}: {} ({} sub-units)",
            view.unit.record.name.as_deref().unwrap_or("(no name)"),
            view.sub_units.len()
        )?;
        found.orgnr = Some(orgnr);
    }
    // A health worker who is also an AR communication party: the journal system's case —
    // may she prescribe, and where is a message to her sent?
    let today = chrono::Local::now().date_naive();
    for index in 0..synth.counts().hpr_persons.min(500) {
        let hpr = HprNumber::new(i64::try_from(synth.hpr_number(index))?)?;
        let parties = registry.parties_of_personnel(hpr).await?;
        let (Some(party), Some(personnel)) = (parties.first(), registry.personnel(hpr).await?)
        else {
            continue;
        };
        let record = &personnel.record;
        writeln!(out, "  health personnel HPR {hpr}: {}", record.name.full())?;
        for approval in &record.approvals {
            if let Some(answer) = registry.authorised(hpr, &approval.category, today).await? {
                writeln!(out, "    {}: {}", approval.category.label(), answer.verdict)?;
            }
        }
        let her_id = party.record.her_id;
        let view = registry.communication_party(her_id).await?;
        let edi = party.record.edi_address.clone().or_else(|| {
            view.as_ref()
                .and_then(|view| view.parent.as_ref())
                .and_then(|parent| parent.record.edi_address.clone())
        });
        writeln!(
            out,
            "    messages to HER-id {her_id} ({}), EDI address {}",
            party
                .record
                .display_name
                .as_deref()
                .or(party.record.name.as_deref())
                .unwrap_or("?"),
            edi.as_deref().unwrap_or("(none)")
        )?;
        let category = record.approvals.first().map_or_else(
            || "LE".to_owned(),
            |approval| approval.category.code().to_owned(),
        );
        found.hpr = Some((hpr, category));
        found.her_id = Some(her_id);
        break;
    }
    if found.hpr.is_none() {
        writeln!(
            out,
            "  (no AR person with an HPR number in this small data set)"
        )?;
    }
    let nin: NationalId = synth.preg_nin(0).parse()?;
    if let PersonAnswer::Found(view) = registry.person(&nin).await? {
        writeln!(
            out,
            "  tracked person {} (lookup audited): {}",
            nin.masked(),
            view.person
                .record
                .name
                .as_ref()
                .map_or_else(|| "(no name)".to_owned(), Name::full)
        )?;
    }
    Ok(found)
}

fn next_steps(
    out: &mut impl std::io::Write,
    url: &str,
    synth: &Synth,
    found: &Samples,
) -> std::io::Result<()> {
    let db = if url.starts_with("postgres") {
        " --db <the same URL>".to_owned()
    } else {
        String::new()
    };
    let nin = synth.preg_nin(0);
    let mut steps = vec![(
        format!("grunndata status{db} --offline"),
        "where each register stands",
    )];
    if let Some((hpr, category)) = &found.hpr {
        steps.push((
            format!("grunndata authz {hpr} {category}{db}"),
            "may this health worker act as that category today?",
        ));
        steps.push((
            format!("grunndata personnel {hpr}{db}"),
            "the HPR record as a card",
        ));
    }
    if let Some(her_id) = found.her_id {
        steps.push((
            format!("grunndata her {her_id} --tree{db}"),
            "where messages go",
        ));
    }
    if let Some(orgnr) = found.orgnr {
        steps.push((
            format!("grunndata org {orgnr}{db}"),
            "an organisation and its sub-units",
        ));
    }
    steps.extend([
        (
            format!("grunndata person {nin} --purpose demo{db}"),
            "a tracked person (audited)",
        ),
        (
            format!("grunndata audit{db}"),
            "who looked up whom, and why",
        ),
        (
            format!("grunndata check{db}"),
            "what the registers disagree on, and what to do",
        ),
        (
            format!("grunndata serve --no-auth{db}"),
            "the mirror over HTTP on 127.0.0.1:8080: REST /v1, FHIR /fhir (no tokens: loopback only)",
        ),
        (
            "grunndata fake-upstream --anomalies --write-config demo.toml".to_owned(),
            "serve the same data; then, in another terminal:",
        ),
        (
            format!("grunndata sync --config demo.toml{db}"),
            "sync from it again, as a nightly job would",
        ),
    ]);
    writeln!(out, "\nTry next:")?;
    for (command, what) in steps {
        writeln!(out, "  {command:<58} {what}")?;
    }
    Ok(())
}
