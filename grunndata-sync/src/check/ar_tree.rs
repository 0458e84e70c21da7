//! Rules `ar-parent-missing`, `ar-parent-inactive` and `ar-parent-cycle`: the AR tree of
//! organisations and the persons and services beneath them.
//!
//! Missing and inactive parents are one self-join. Cycles are found in memory over the parent
//! links alone (two integers a party), which is small even for the national register and the
//! same on both backends.

use std::collections::{BTreeMap, BTreeSet};

use super::{CheckError, Findings, ar_active, scan};
use crate::store::{Kind, Register, Store};

const MISSING: &str = "ar-parent-missing";
const INACTIVE: &str = "ar-parent-inactive";
const CYCLE: &str = "ar-parent-cycle";

pub(super) async fn check(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let options = findings.options;
    if options.wants(MISSING) || options.wants(INACTIVE) {
        parents(store, findings).await?;
    }
    if options.wants(CYCLE) {
        cycles(store, findings).await?;
    }
    Ok(())
}

async fn parents(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let sql = format!(
        "SELECT c.her_id, c.parent_her_id, p.her_id FROM ar c \
         LEFT JOIN ar p ON p.her_id = c.parent_her_id \
         WHERE c.parent_her_id IS NOT NULL AND {} AND (p.her_id IS NULL OR NOT ({}))",
        ar_active("c"),
        ar_active("p")
    );
    let args = [findings.options.at_arg()];
    scan(
        store,
        "checking AR parents",
        Some(Register::Ar),
        &sql,
        &args,
        &[Kind::Int, Kind::Int, Kind::Int],
        |mut row| {
            let her_id = row.text(0).unwrap_or_default();
            let parent = row.text(1).unwrap_or_default();
            let keys = vec![
                ("her_id", her_id.clone()),
                ("parent_her_id", parent.clone()),
            ];
            if row.text(2).is_none() {
                findings.push(
                    MISSING,
                    Register::Ar,
                    keys,
                    format!("AR party {her_id} names parent HER-id {parent}, which is not in AR"),
                );
            } else {
                findings.push(
                    INACTIVE,
                    Register::Ar,
                    keys,
                    format!("AR party {her_id} is active, but its parent {parent} is not"),
                );
            }
            Ok(())
        },
    )
    .await
}

async fn cycles(store: &Store, findings: &mut Findings<'_>) -> Result<(), CheckError> {
    let mut parent_of = BTreeMap::new();
    scan(
        store,
        "checking AR parent cycles",
        Some(Register::Ar),
        "SELECT her_id, parent_her_id FROM ar WHERE parent_her_id IS NOT NULL",
        &[],
        &[Kind::Int, Kind::Int],
        |mut row| {
            if let (Some(child), Some(parent)) = (row.int(0), row.int(1)) {
                parent_of.insert(child, parent);
            }
            Ok(())
        },
    )
    .await?;
    for cycle in find_cycles(&parent_of) {
        let list = cycle
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(
            CYCLE,
            Register::Ar,
            vec![("her_ids", list.replace(' ', ""))],
            format!("AR parties {list} are each other's parents"),
        );
    }
    Ok(())
}

/// Every cycle in the parent links, each as its sorted members, in order of smallest member.
fn find_cycles(parent_of: &BTreeMap<i64, i64>) -> Vec<Vec<i64>> {
    // 0 = unseen, 1 = on the current walk, 2 = finished.
    let mut state: BTreeMap<i64, u8> = BTreeMap::new();
    let mut cycles = BTreeSet::new();
    for &start in parent_of.keys() {
        let mut walk = Vec::new();
        let mut node = start;
        loop {
            match state.get(&node).copied().unwrap_or(0) {
                0 => {
                    state.insert(node, 1);
                    walk.push(node);
                    match parent_of.get(&node) {
                        Some(&parent) => node = parent,
                        None => break,
                    }
                }
                1 => {
                    if let Some(at) = walk.iter().position(|&member| member == node) {
                        let mut cycle = walk[at..].to_vec();
                        cycle.sort_unstable();
                        cycles.insert(cycle);
                    }
                    break;
                }
                _ => break,
            }
        }
        for member in walk {
            state.insert(member, 2);
        }
    }
    cycles.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cycle_once() {
        let links: BTreeMap<i64, i64> = [
            (1, 2),
            (2, 1),
            (3, 1),
            (4, 4),
            (5, 6),
            (6, 7),
            (7, 5),
            (8, 9),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            find_cycles(&links),
            vec![vec![1, 2], vec![4], vec![5, 6, 7]]
        );
        assert!(find_cycles(&[(1, 2), (2, 3)].into_iter().collect()).is_empty());
    }
}
