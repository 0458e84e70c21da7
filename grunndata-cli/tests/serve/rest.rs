//! The REST routes answer what the CLI's `--json` answers.

use serde_json::json;

use crate::harness::{LOOKUP, PERSON, Server, block_on, get, post, token};
use crate::{mirror, synth};

fn nin(index: u32) -> String {
    synth::nin(index).expose()
}

#[test]
fn lookups_answer_like_the_cli() {
    let server = Server::start();
    let lookup = token(&[LOOKUP]);
    block_on(async {
        let personnel = get(&server, "/v1/personnel/9144889?at=2026-11-25", &lookup).await;
        assert_eq!(personnel.status, 200, "{}", personnel.text);
        assert_eq!(personnel.header("content-type"), "application/json");
        // By HPR number the worker's NIN is masked; only the person-scope POST shows it.
        assert_eq!(
            personnel.json()["personnel"]["record"]["nin"],
            format!("{}*****", &nin(1)[..6])
        );
        assert!(!personnel.text.contains(&nin(1)));
        insta::assert_json_snapshot!("personnel", personnel.json());

        let mut authz = Vec::new();
        for (path, authorised) in [
            ("/v1/authz/9144889/LE?at=2026-09-30", true),
            ("/v1/authz/9144889/le?at=2026-10-15", false),
            ("/v1/authz/9144889/SP?at=2026-09-30", false),
            ("/v1/authz/9144890/LE?at=2026-11-25", false),
        ] {
            let reply = get(&server, path, &lookup).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            assert_eq!(reply.json()["authorised"], authorised, "{path}");
            authz.push(reply.json());
        }
        insta::assert_json_snapshot!("authz", authz);

        let rights = get(
            &server,
            "/v1/personnel/9144889/requisition-rights?at=2026-09-30",
            &lookup,
        )
        .await;
        assert_eq!(rights.status, 200, "{}", rights.text);
        assert!(
            !rights.json()["requisition_rights"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let parties = get(&server, "/v1/personnel/9144889/parties", &lookup).await;
        assert_eq!(parties.status, 200);
        assert_eq!(parties.json()["parties"][0]["record"]["her_id"], "81000002");

        let org = get(
            &server,
            &format!("/v1/organisations/{}", mirror::main_unit()),
            &lookup,
        )
        .await;
        assert_eq!(org.status, 200, "{}", org.text);
        assert_eq!(
            org.json()["organisation"]["sub_units"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        insta::assert_json_snapshot!("organisation", org.json());

        let her = get(&server, "/v1/parties/81000001?tree=true", &lookup).await;
        assert_eq!(her.status, 200, "{}", her.text);
        assert_eq!(
            her.json()["tree"]["children"][0]["party"]["record"]["her_id"],
            "81000002"
        );
        insta::assert_json_snapshot!("party_tree", her.json());

        let search = get(&server, "/v1/search?q=nordm", &lookup).await;
        assert_eq!(search.status, 200, "{}", search.text);
        insta::assert_json_snapshot!("search", search.json());

        let status = get(&server, "/v1/status", &lookup).await;
        assert_eq!(status.status, 200, "{}", status.text);
        assert_eq!(status.json()["registers"].as_array().unwrap().len(), 4);
    });
}

#[test]
fn not_found_is_404_found_false() {
    let server = Server::start();
    let lookup = token(&[LOOKUP]);
    block_on(async {
        for path in [
            "/v1/personnel/1234567",
            "/v1/authz/1234567/LE",
            "/v1/organisations/974760673",
            "/v1/parties/99999",
        ] {
            let reply = get(&server, path, &lookup).await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.text);
            assert_eq!(reply.json(), json!({ "found": false }), "{path}");
        }
    });
}

#[test]
fn persons_only_by_post_with_a_purpose_and_audited() {
    let server = Server::start();
    let person = token(&[LOOKUP, PERSON]);
    let lookup_only = token(&[LOOKUP]);
    block_on(async {
        let body = json!({ "nin": nin(10), "purpose": "treatment" });
        let refused = post(&server, "/v1/persons/lookup", &lookup_only, &body).await;
        assert_eq!(refused.status, 403);
        assert!(refused.text.is_empty());

        let no_purpose = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": nin(10) }),
        )
        .await;
        assert_eq!(no_purpose.status, 400);
        assert!(
            no_purpose.json()["error"]
                .as_str()
                .unwrap()
                .contains("purpose")
        );
        let blank = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": nin(10), "purpose": " " }),
        )
        .await;
        assert_eq!(blank.status, 400);

        let found = post(&server, "/v1/persons/lookup", &person, &body).await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(found.json()["answer"], "found");
        assert_eq!(found.json()["addresses"], "shown");

        let protected = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": nin(11), "purpose": "treatment" }),
        )
        .await;
        assert_eq!(protected.status, 200);
        assert_eq!(protected.json()["addresses"], "revealed");

        let untracked = post(
            &server,
            "/v1/persons/lookup",
            &person,
            &json!({ "nin": nin(40), "purpose": "treatment" }),
        )
        .await;
        assert_eq!(untracked.status, 404);
        assert_eq!(untracked.json()["answer"], "not_tracked");

        let by_nin = post(
            &server,
            "/v1/personnel/lookup",
            &person,
            &json!({ "nin": nin(1), "purpose": "prescription check", "at": "2026-09-30" }),
        )
        .await;
        assert_eq!(by_nin.status, 200, "{}", by_nin.text);
        assert_eq!(
            by_nin.json()["personnel"]["record"]["hpr_number"],
            "9144889"
        );
        assert_eq!(by_nin.json()["personnel"]["record"]["nin"], nin(1));

        // A NIN in a URL is refused before any lookup, and says where it belongs.
        let in_url = get(&server, &format!("/v1/personnel/{}", nin(1)), &person).await;
        assert_eq!(in_url.status, 400);
        assert!(in_url.json()["error"].as_str().unwrap().contains("POST"));
        assert!(!in_url.text.contains(&nin(1)));
    });
    // The audit log holds the caller from the token and the purpose.
    let db = server.db.clone();
    let (_code, stderr, _dir) = server.terminate();
    assert!(
        !stderr.contains(&nin(10)) && !stderr.contains(&nin(1)),
        "a NIN reached the log"
    );
    let entries = block_on(async {
        let store = grunndata_sync::store::Store::open(&db).await.unwrap();
        store
            .audit_log(&grunndata_sync::store::AuditQuery::default())
            .await
            .unwrap()
    });
    let persons: Vec<_> = entries
        .iter()
        .filter(|record| record.entry.purpose == "treatment")
        .collect();
    assert_eq!(persons.len(), 3, "{entries:#?}");
    assert!(
        persons
            .iter()
            .all(|record| record.entry.actor == "journal-svc")
    );
    assert!(
        entries
            .iter()
            .any(|record| record.entry.purpose == "prescription check")
    );
}

#[test]
fn the_end_user_in_a_token_is_audited() {
    let server = Server::start();
    let claims = crate::harness::claims(&[PERSON], &json!({ "sub": "user-pseudonym-42" }));
    let token = crate::harness::issuer().sign(crate::harness::KID, &claims);
    block_on(async {
        let reply = post(
            &server,
            "/v1/persons/lookup",
            &token,
            &json!({ "nin": nin(10), "purpose": "treatment" }),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    });
    let db = server.db.clone();
    let (_code, _stderr, _dir) = server.terminate();
    let entries = block_on(async {
        let store = grunndata_sync::store::Store::open(&db).await.unwrap();
        store
            .audit_log(&grunndata_sync::store::AuditQuery::default())
            .await
            .unwrap()
    });
    assert!(
        entries
            .iter()
            .any(|record| record.entry.actor == "journal-svc user=user-pseudonym-42"),
        "{entries:#?}"
    );
}

#[test]
fn serves_a_postgresql_mirror_too() {
    let Some(db) = block_on(crate::db::TestDb::postgres()) else {
        return;
    };
    let server = Server::start_on(&db.url);
    let lookup = token(&[LOOKUP]);
    block_on(async {
        let authz = get(&server, "/v1/authz/9144889/LE?at=2026-09-30", &lookup).await;
        assert_eq!(authz.status, 200, "{}", authz.text);
        assert_eq!(authz.json()["authorised"], true);
        let practitioner = get(&server, "/fhir/Practitioner/9144889/_history", &lookup).await;
        assert_eq!(practitioner.status, 200, "{}", practitioner.text);
        let person = post(
            &server,
            "/v1/persons/lookup",
            &token(&[PERSON]),
            &json!({ "nin": nin(10), "purpose": "treatment" }),
        )
        .await;
        assert_eq!(person.status, 200, "{}", person.text);
    });
    drop(server);
    drop(db);
}
