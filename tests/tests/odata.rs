//! The OData server against the real CAP (`@sap/cds` 9 with `@cap-js/sqlite`) serving
//! the same SQLite file: for every request SAP Analytics Cloud or a person exploring
//! the service would send, both answer with the same status and the same entities in
//! the same order.

use cai_bridge_tests::differential::{database, differences, ours, requests, serve_database};
use serde_json::Value;

#[test]
fn answers_as_cap_does_for_the_same_file() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let conn = rusqlite::Connection::open(&db).expect("opens");
    let (conversation, message, start): (String, String, String) = conn
        .query_row(
            "SELECT conversation_id, message_id, received_at FROM cai_logs_Messages \
             ORDER BY received_at LIMIT 1 OFFSET 600",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a message");
    drop(conn);

    let requests = requests(&conversation, &message, &start);

    let cap_project = cai_bridge_tests::repo().join("generated-example/cap");
    let artifacts = cai_logs_bridge::artifacts();
    let differences = differences(&rt, &artifacts, &db, &cap_project, &requests);
    cai_bridge_tests::differential::assert_agree(&differences, requests.len());
}

/// Where CAP is lenient (it reads `$top=-1` as no `$top`, lets the last of two
/// expansions of one navigation property win) or has no answer, the server still answers
/// every mistake with a 4xx and an OData error that says what is wrong.
#[test]
fn every_client_mistake_is_a_4xx_with_an_odata_error() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let base = server.url();
    let cases: &[(&str, u16, &str)] = &[
        ("Conversations?$top=-1", 400, "$top"),
        ("Conversations?$top=1&$top=2", 400, "twice"),
        ("Conversations?$filter=id%20eq", 400, "$filter"),
        ("Conversations?$filter=start_at%20eq%20'x'", 400, "start_at"),
        ("Conversations?$filter=nope%20eq%201", 400, "nope"),
        ("Conversations?$select=nope", 400, "nope"),
        ("Conversations?$orderby=id%20sideways", 400, "sideways"),
        ("Conversations?$expand=nope", 400, "nope"),
        ("Conversations?$expand=messages,messages", 400, "twice"),
        ("Conversations?$expand=messages($top=-1)", 400, "$top"),
        ("Messages?$expand=conversation($top=1)", 400, "single entity"),
        (
            "Conversations?$expand=messages($expand=intents($expand=message($expand=conversation)))",
            400,
            "deeper",
        ),
        ("Conversations?$filter=messages/nlp_status%20eq%201", 400, "any"),
        (
            "Conversations?$filter=messages/any(m:nlp_status%20eq%201)",
            400,
            "lambda variable",
        ),
        ("Messages?$select=conversation/channel_type", 400, "path"),
        ("Conversations?$count=maybe", 400, "$count"),
        ("Conversations?$format=xml", 501, "JSON"),
        ("Conversations?$nope=1", 400, "$nope"),
        ("Conversations('a','b')", 400, "key"),
        ("Messages('only-one')", 400, "key"),
        (
            "Conversations(00000000-0000-0000-0000-000000000000)",
            404,
            "no entity",
        ),
        ("Conversations/id", 400, "one entity"),
        (
            "Conversations(00000000-0000-0000-0000-000000000000)/nope",
            404,
            "not a property or navigation property",
        ),
        (
            "Conversations(00000000-0000-0000-0000-000000000000)/$count",
            400,
            "collection",
        ),
        ("Nope", 404, "Conversations"),
    ];
    for (relative, status, needle) in cases {
        let answer = ours(&rt, &base, relative);
        assert_eq!(answer["status"], *status, "{relative}: {answer}");
        let message = answer["body"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(needle), "{relative}: {answer}");
    }
    let post = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}Conversations"))
            .body("{}")
            .send()
            .await
            .expect("request")
    });
    assert_eq!(post.status().as_u16(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    rt.block_on(server.shutdown());
}

/// SAC pages through a large set by following `@odata.nextLink` until there is none:
/// every entity arrives exactly once, and `$top` is honoured across pages.
#[test]
fn next_links_page_through_every_entity_once() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let base = server.url();
    let read_all = |first: &str| -> (Vec<String>, Vec<usize>, Option<u64>) {
        let mut ids = Vec::new();
        let mut pages = Vec::new();
        let mut count = None;
        let mut next = Some(first.to_owned());
        while let Some(relative) = next.take() {
            let page = ours(&rt, &base, &relative);
            assert_eq!(page["status"], 200, "{relative}: {page}");
            count = count.or(page["odataCount"].as_u64());
            let values = page["value"].as_array().expect("a page");
            pages.push(values.len());
            ids.extend(
                values
                    .iter()
                    .map(|m| format!("{}/{}", m["conversation_id"], m["message_id"])),
            );
            next = page["nextLink"].as_str().map(str::to_owned);
        }
        (ids, pages, count)
    };

    let (ids, pages, count) = read_all("Messages?$count=true&$select=message_id");
    assert_eq!(pages, [1000, 245]);
    assert_eq!(count, Some(1245));
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "an entity came twice");

    let (_, pages, _) = read_all("Messages?$top=1100&$skip=10&$select=message_id");
    assert_eq!(pages, [1000, 100]);
    rt.block_on(server.shutdown());
}

/// The second model, with names hostile to every target and three levels of
/// composition, answers as CAP does too.
#[test]
fn a_second_model_answers_as_cap_does() {
    use cai_bridge_tests::differential::hostile_database;
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hostile.db");
    hostile_database(&db, 60);
    let requests: Vec<String> = [
        "Items",
        "Lines",
        "Values",
        "Tags",
        "LineFacts",
        "Items?$count=true&$top=5",
        "Items?$select=id,order,select&$orderby=order%20desc,id&$top=7",
        "Items?$filter=paid%20eq%20true%20and%20amount%20gt%205&$orderby=amount,id",
        "Items?$filter=status%20eq%20'done'%20or%20position%20le%202&$count=true&$top=4",
        "Lines?$filter=qty%20ge%202&$orderby=sku&$top=20",
        "Items/$count?$filter=paid%20eq%20false",
        "Items(00000000-0000-4000-8000-000000000000)",
        "Items?$filter=nope%20eq%201",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let differences = cai_bridge_tests::differential::differences(
        &rt,
        &cai_bridge_golden_hostile::artifacts(),
        &db,
        &cai_bridge_tests::repo().join("tests/golden-hostile/cap"),
        &requests,
    );
    cai_bridge_tests::differential::assert_agree(&differences, requests.len());
}

/// `$metadata` tells the truth: no property declared `Nullable="false"` holds a null
/// in the data served (the fact view's left-joined top intent did, for a message
/// without intents). CAP compiles the same CDS to the same CSDL (cap_conformance).
#[test]
fn no_property_declared_not_null_holds_a_null() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let artifacts = cai_logs_bridge::artifacts();
    let conn = rusqlite::Connection::open(&db).expect("opens");
    let csdl = roxmltree::Document::parse(&artifacts.metadata).expect("CSDL");
    let mut checked = 0;
    let mut nulls_seen = 0;
    for ty in csdl.descendants().filter(|n| n.has_tag_name("EntityType")) {
        let view = artifacts.model.view(ty.attribute("Name").expect("name"));
        for property in ty.children().filter(|n| n.has_tag_name("Property")) {
            let name = property.attribute("Name").expect("name");
            let nulls: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM \"{view}\" WHERE \"{name}\" IS NULL"),
                    [],
                    |r| r.get(0),
                )
                .expect("count");
            if property.attribute("Nullable") == Some("false") {
                assert_eq!(nulls, 0, "{view}.{name} is declared not null");
                checked += 1;
            }
            nulls_seen += usize::from(nulls > 0);
        }
    }
    assert!(
        checked > 10 && nulls_seen > 0,
        "{checked} checked, {nulls_seen} with nulls"
    );
}

/// `$metadata` as CSDL JSON (`$format=json`, or `Accept: application/json`) describes
/// the same container, entity types, keys, properties and navigation as CAP's; the
/// annotations CAP adds of its own (`@Core.Links`, `Validation.AllowedValues`) aside.
#[test]
fn metadata_as_json_describes_what_cap_describes() {
    use cai_bridge_tests::differential::{hostile_database, loopback};
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let cai = dir.path().join("bridge.db");
    database(&rt, &cai);
    let hostile = dir.path().join("hostile.db");
    hostile_database(&hostile, 3);
    let cases = [
        (cai_logs_bridge::artifacts(), cai, "generated-example/cap"),
        (
            cai_bridge_golden_hostile::artifacts(),
            hostile,
            "tests/golden-hostile/cap",
        ),
    ];
    let request = "$metadata?$format=json".to_owned();
    for (artifacts, db, project) in cases {
        let server = rt
            .block_on(cai_bridge::serve::ODataServer::start(
                &artifacts,
                &cai_bridge::database_url::Database::Sqlite(db.clone()),
                loopback(),
                cai_bridge::serve::Auth::Disabled,
            ))
            .expect("serves");
        let ours = ours(&rt, &server.url(), &request);
        let by_accept = rt.block_on(async {
            reqwest::Client::new()
                .get(format!("{}$metadata", server.url()))
                .header("accept", "application/json")
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("JSON")
        });
        rt.block_on(server.shutdown());
        let cap = cai_bridge_tests::oracle::cap_serve(
            &cai_bridge_tests::repo().join(project),
            &db,
            std::slice::from_ref(&request),
        );
        let theirs = &cap[request.as_str()]["entity"];
        assert_eq!(ours["status"], 200, "{ours}");
        assert_eq!(by_accept, ours["entity"]);
        let service = &artifacts.model.service.name;
        let structure = |csdl: &Value| -> Value {
            let mut schema = csdl[service.as_str()].clone();
            let map = schema.as_object_mut().expect("schema");
            map.retain(|k, _| !k.starts_with('@') && !k.starts_with('$'));
            Value::Object(map.clone())
        };
        assert_eq!(structure(&ours["entity"]), structure(theirs), "{project}");
        assert_eq!(
            ours["entity"]["$EntityContainer"],
            theirs["$EntityContainer"]
        );
    }
}
