//! The rule catalogue: every consistency rule, documented once.
//!
//! `grunndata check --list` prints this table, the engine runs the rules in this order, and
//! findings are reported in this order. A rule's `id` is stable: scripts filter on it
//! (`--rule`), so rename only with a deprecation.

use super::Severity;
use crate::register::Register;

/// One consistency rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, kebab-case (`ar-org-inactive-in-brreg`).
    pub id: &'static str,
    /// How bad a finding of this rule is.
    pub severity: Severity,
    /// The register whose record a finding is about (`brreg`, `ar`, `hpr`, `preg`), or `any`
    /// for rules that look at every register.
    pub register: &'static str,
    /// The other registers the rule reads to judge it (an AR organisation against Brreg, say).
    /// Where one of them is not mirrored, the rule is skipped rather than flagging every
    /// record for what it cannot see.
    pub joins: &'static [Register],
    /// What the rule finds, in one line.
    pub description: &'static str,
    /// Why it matters to patients and to the people who send messages.
    pub why: &'static str,
    /// What to do about a finding.
    pub fix: &'static str,
}

impl Rule {
    /// Every register the rule needs mirrored: its own (unless `any`) and those it joins.
    pub fn needs(&self) -> impl Iterator<Item = Register> {
        let own = self.register.parse::<Register>().ok();
        own.into_iter().chain(self.joins.iter().copied())
    }

    /// Whether a finding of this rule can be about `register` (`any` matches every register).
    pub fn covers(&self, register: &str) -> bool {
        self.register == "any" || self.register == register
    }
}

/// The rule with `id`, if there is one.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// Every rule, in reporting order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "identifier-invalid",
        severity: Severity::Warning,
        register: "any",
        joins: &[],
        description: "A stored secondary identifier (NIN, orgnr, HPR number) fails validation.",
        why: "An invalid number cannot be joined to the register it points to, so every other \
              check silently skips the record and lookups by that number fail.",
        fix: "Report the record to the register that owns it; the mirror keeps the value as \
              received and flags it.",
    },
    Rule {
        id: "ar-org-missing-in-brreg",
        severity: Severity::Warning,
        register: "ar",
        joins: &[Register::Brreg],
        description: "An active AR organisation's organisation number is not in the Brreg mirror.",
        why: "Messages are routed to an organisation that Enhetsregisteret does not know: a \
              typo in AR, or a Brreg mirror that is incomplete.",
        fix: "Check the number in Enhetsregisteret; if it exists, resync brreg; if not, ask \
              the organisation to correct its AR entry.",
    },
    Rule {
        id: "ar-org-inactive-in-brreg",
        severity: Severity::Error,
        register: "ar",
        joins: &[Register::Brreg],
        description: "An active AR organisation is deleted, closed, bankrupt or being wound up \
                      in Brreg.",
        why: "Referrals and results are sent to an organisation that no longer operates.",
        fix: "Ask NHN (Adresseregisteret) to deactivate the party or move it to the successor \
              organisation.",
    },
    Rule {
        id: "ar-parent-missing",
        severity: Severity::Error,
        register: "ar",
        joins: &[],
        description: "An active AR person or service names a parent HER-id that is not in AR.",
        why: "The party cannot be placed in the organisation tree, so address lookups that \
              walk the tree fail.",
        fix: "Resync ar; if it persists, report the party to NHN.",
    },
    Rule {
        id: "ar-parent-inactive",
        severity: Severity::Error,
        register: "ar",
        joins: &[],
        description: "An active AR party sits beneath a parent that is no longer active.",
        why: "Messages to the child are routed through an organisation that has been closed.",
        fix: "Ask NHN to deactivate the child or move it under the active organisation.",
    },
    Rule {
        id: "ar-parent-cycle",
        severity: Severity::Error,
        register: "ar",
        joins: &[],
        description: "AR parties whose parent links form a cycle.",
        why: "Anything that walks up the tree to the organisation never ends.",
        fix: "Report the parties to NHN; the parent links are wrong upstream.",
    },
    Rule {
        id: "ar-person-hpr-missing",
        severity: Severity::Error,
        register: "ar",
        joins: &[Register::Hpr],
        description: "An active AR person's HPR number is not in the HPR mirror.",
        why: "The receiver of a message cannot be tied to a health professional, so nobody \
              can tell whether they may receive it.",
        fix: "Check the number in HPR; if it exists, resync hpr; if not, report the AR entry \
              to NHN.",
    },
    Rule {
        id: "ar-person-hpr-replaced",
        severity: Severity::Warning,
        register: "ar",
        joins: &[Register::Hpr],
        description: "An active AR person points at an HPR number that HPR has replaced \
                      (erstattet av) by another.",
        why: "The approvals that matter live under the new number; checks against the old \
              one see a stale record.",
        fix: "Ask NHN to update the person's HPR number to the new one named in the finding.",
    },
    Rule {
        id: "ar-person-not-authorised",
        severity: Severity::Error,
        register: "ar",
        joins: &[Register::Hpr],
        description: "An active AR person has no HPR approval in force today (all expired, \
                      ended or suspended).",
        why: "Messages and referrals still reach a person who may not practise.",
        fix: "Ask NHN to deactivate the AR person, or the employer to confirm the \
              authorisation with HPR.",
    },
    Rule {
        id: "hpr-right-without-authorisation",
        severity: Severity::Warning,
        register: "hpr",
        joins: &[],
        description: "A requisition right or speciality is in force under an approval that is \
                      not an authorisation in force.",
        why: "Systems that look only at requisition rights or specialities let someone \
              prescribe or refer without a valid authorisation.",
        fix: "Judge by the approval (grunndata authz), not the right alone; report the record \
              to Helsedirektoratet if the right should have ended.",
    },
    Rule {
        id: "hpr-deceased-with-open-approval",
        severity: Severity::Error,
        register: "hpr",
        joins: &[Register::Preg],
        description: "A health worker whose NIN belongs to a tracked person registered deceased \
                      still has an approval open.",
        why: "A dead person's authorisation can be used by someone else, and lists of GPs \
              show a doctor who has died.",
        fix: "Report to Helsedirektoratet (HPR); remove the person from local rosters now.",
    },
    Rule {
        id: "brreg-parent-missing",
        severity: Severity::Warning,
        register: "brreg",
        joins: &[],
        description: "A Brreg sub-unit has no overordnet enhet, or one that is not in the mirror.",
        why: "The establishment cannot be tied to the legal entity responsible for it.",
        fix: "Resync brreg; if it persists, check the unit in Enhetsregisteret.",
    },
    Rule {
        id: "brreg-parent-deleted",
        severity: Severity::Error,
        register: "brreg",
        joins: &[],
        description: "A live Brreg sub-unit's overordnet enhet is deleted.",
        why: "The establishment belongs to a legal entity that no longer exists.",
        fix: "Check the sub-unit in Enhetsregisteret; organisations using it should move to \
              the new legal entity.",
    },
    Rule {
        id: "ar-certificate-expired",
        severity: Severity::Error,
        register: "ar",
        joins: &[],
        description: "An active AR party's signing or encryption certificate has expired.",
        why: "Messages to the party cannot be encrypted, or its signatures not verified: \
              sending fails.",
        fix: "The party must renew its certificate (Buypass/Commfides) and publish it to AR.",
    },
    Rule {
        id: "ar-certificate-expiring",
        severity: Severity::Warning,
        register: "ar",
        joins: &[],
        description: "An active AR party's signing or encryption certificate expires within the \
                      warning period (default 30 days).",
        why: "Sending to the party will fail on the expiry date unless it renews in time.",
        fix: "Tell the party to renew its certificate before the date in the finding.",
    },
    Rule {
        id: "ar-no-message-address",
        severity: Severity::Warning,
        register: "ar",
        joins: &[],
        description: "An active AR party has no EDI or AMQP address, of its own or inherited \
                      from its parent.",
        why: "Nothing can be sent to it: messages bounce or wait in a queue nobody reads.",
        fix: "Ask the party (or NHN) to register an EDI address or enable AMQP.",
    },
    Rule {
        id: "hpr-duplicate-nin",
        severity: Severity::Error,
        register: "hpr",
        joins: &[],
        description: "The same person number is on two or more current HPR numbers.",
        why: "Authorisation answers depend on which record is found first.",
        fix: "Report to Helsedirektoratet: one record should be replaced by the other.",
    },
    Rule {
        id: "ar-duplicate-organisation",
        severity: Severity::Warning,
        register: "ar",
        joins: &[],
        description: "Two or more active AR organisations have the same organisation number \
                      and name.",
        why: "Senders pick one at random; messages split between two addresses.",
        fix: "Ask NHN to merge the parties or deactivate the duplicate.",
    },
    Rule {
        id: "register-stale",
        severity: Severity::Error,
        register: "any",
        joins: &[],
        description: "A register has not been synced successfully within its threshold \
                      (stale_after).",
        why: "Every answer from the mirror may be out of date: revoked authorisations look \
              valid.",
        fix: "Look at `grunndata status` for the last error and run `grunndata sync`.",
    },
    Rule {
        id: "register-quarantine",
        severity: Severity::Warning,
        register: "any",
        joins: &[],
        description: "A register has records in quarantine (they failed to parse or validate).",
        why: "Those records are missing from the mirror, or stale in it.",
        fix: "List them with `grunndata status --quarantine`; report upstream or upgrade \
              grunndata.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        for (index, rule) in RULES.iter().enumerate() {
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.id
            );
            assert!(
                RULES[..index].iter().all(|other| other.id != rule.id),
                "duplicate {}",
                rule.id
            );
            assert!(!rule.description.is_empty() && !rule.why.is_empty() && !rule.fix.is_empty());
            assert!(
                ["any", "brreg", "ar", "hpr", "preg"].contains(&rule.register),
                "{}",
                rule.id
            );
        }
        assert_eq!(
            rule("ar-parent-cycle").map(|r| r.severity),
            Some(Severity::Error)
        );
        assert!(rule("no-such-rule").is_none());
    }
}
