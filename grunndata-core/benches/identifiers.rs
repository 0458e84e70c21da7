//! Identifier parsing throughput, beside an anchor measured in the same run.
//!
//! `cargo bench -p grunndata-core --bench identifiers [-- N]` parses N (default 1 000 000)
//! synthetic person numbers and organisation numbers, seven rounds each, and prints the median
//! time per value next to the anchor — `str::parse::<u64>` of the same strings, the least any
//! parser of digit strings has to do — and the ratio between them. Ratios, not absolute times,
//! are what to compare across machines.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use grunndata_core::id::{NationalId, OrgNumber};

const ROUNDS: usize = 7;

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let persons = synthetic_person_numbers(count);
    let orgs = organisation_numbers(count);

    let anchor = median(|| {
        for text in &persons {
            black_box(black_box(text).parse::<u64>().is_ok());
        }
    });
    let nin = median(|| {
        for text in &persons {
            black_box(NationalId::parse_on(black_box(text), today).is_ok());
        }
    });
    let org_anchor = median(|| {
        for text in &orgs {
            black_box(black_box(text).parse::<u64>().is_ok());
        }
    });
    let org = median(|| {
        for text in &orgs {
            black_box(OrgNumber::parse(black_box(text)).is_ok());
        }
    });

    println!("identifier parsing, {count} values, median of {ROUNDS} rounds");
    println!("| what | ns/value | ratio to anchor |");
    println!("|---|---:|---:|");
    row("anchor: u64 parse, 11 digits", anchor, count, anchor);
    row("NationalId::parse_on", nin, count, anchor);
    row("anchor: u64 parse, 9 digits", org_anchor, count, org_anchor);
    row("OrgNumber::parse", org, count, org_anchor);
}

fn row(what: &str, time: Duration, count: usize, anchor: Duration) {
    let per_value = time.as_secs_f64() * 1e9 / f64::from(u32::try_from(count).unwrap_or(u32::MAX));
    let ratio = time.as_secs_f64() / anchor.as_secs_f64();
    println!("| {what} | {per_value:.1} | {ratio:.2}× |");
}

fn median(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[ROUNDS / 2]
}

/// Tenor synthetic fødselsnumre (month + 80) with valid check digits, deterministic.
fn synthetic_person_numbers(count: usize) -> Vec<String> {
    const K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let mut out = Vec::with_capacity(count);
    let mut n: u32 = 0;
    while out.len() < count {
        n = n.wrapping_add(1);
        let (day, month, year, individual) = (1 + n % 28, 81 + n / 28 % 12, n / 336 % 100, n % 500);
        let body = format!("{day:02}{month:02}{year:02}{individual:03}");
        let mut digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
        let k1 = (11 - digits.iter().zip(K1).map(|(d, w)| d * w).sum::<u32>() % 11) % 11;
        digits.push(k1);
        let k2 = (11 - digits.iter().zip(K2).map(|(d, w)| d * w).sum::<u32>() % 11) % 11;
        if k1 < 10 && k2 < 10 {
            out.push(format!("{body}{k1}{k2}"));
        }
    }
    out
}

/// Organisation numbers with valid check digits, deterministic.
fn organisation_numbers(count: usize) -> Vec<String> {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    (800_000_000u32 / 10..)
        .filter_map(|body| {
            let text = body.to_string();
            let sum: u32 = text
                .bytes()
                .zip(WEIGHTS)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            let check = (11 - sum % 11) % 11;
            (check < 10).then(|| format!("{text}{check}"))
        })
        .take(count)
        .collect()
}
