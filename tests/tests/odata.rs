//! The OData server against the real CAP (`@sap/cds` 9 with `@cap-js/sqlite`) serving
//! the same SQLite file: for every request SAP Analytics Cloud or a person exploring
//! the service would send, both answer with the same status and the same entities in
//! the same order.

use cai_bridge_tests::differential::{database, differences, ours, serve_database};
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

    let requests: Vec<String> = [
        // Whole sets, and pages.
        "Conversations",
        "MessageFacts",
        "MessageFacts?$skip=1000",
        "Messages?$count=true",
        "Intents?$top=5&$skip=7",
        "Conversations/$count",
        // What SAC sends: $select, $filter with eq ne gt ge lt le and or, $orderby.
        "Conversations?$select=id,channel_type&$orderby=start_at%20desc&$top=5",
        "Messages?$filter=nlp_sentiment%20eq%20'positive'%20and%20nlp_status%20eq%20200&$select=message_id,nlp_sentiment&$top=20",
        "Messages?$filter=nlp_sentiment%20eq%20'positive'%20or%20nlp_sentiment%20eq%20'negative'%20and%20nlp_status%20eq%20200&$count=true&$top=3",
        "Messages?$filter=nlp_type%20eq%20null&$count=true&$top=3",
        "Messages?$filter=nlp_type%20ne%20null&$count=true&$top=3",
        "Messages?$filter=nlp_sentiment%20ne%20'neutral'&$count=true&$top=2",
        "Intents?$filter=confidence%20ge%200.5%20and%20confidence%20lt%200.9&$orderby=confidence%20desc&$top=10",
        "Entities?$filter=confidence%20gt%200.8&$orderby=key,confidence%20desc&$top=25",
        // The entity map's rows: one per occurrence, keyed by the entity name.
        "Entities?$filter=key%20eq%20'datetime'&$select=key,position,iso,formatted,chronology",
        "Entities?$apply=groupby((key),aggregate($count%20as%20n))",
        "Conversations?$orderby=channel_type,start_at%20desc&$top=50",
        "MessageFacts?$filter=top_intent_slug%20eq%20'greetings'&$select=message_id,top_intent_slug,conversation_channel_type&$top=10",
        "Messages/$count?$filter=nlp_status%20eq%20200",
        // The fact set counted in its entity table (filtered on its columns, or not:
        // on a joined one it is counted in the view), paged on its keys, and bounded
        // at the page's end when its order starts descending (at nulls, ties, the end).
        "MessageFacts?$count=true&$top=0",
        "MessageFacts/$count?$filter=nlp_status%20eq%20200%20and%20input_message_type%20eq%20'text'",
        "MessageFacts?$filter=top_intent_confidence%20gt%200.5&$count=true&$top=3",
        "MessageFacts?$search=hello&$count=true&$top=2",
        "MessageFacts?$filter=(nlp_status%20eq%20200%20and%20input_message_type%20eq%20'text')%20or%20top_intent_confidence%20gt%200.9&$orderby=received_at%20desc&$top=100&$skip=40&$count=true",
        "MessageFacts?$orderby=conversation_channel_type%20desc,received_at&$top=7&$skip=600&$select=message_id,conversation_channel_type",
        "MessageFacts?$orderby=top_intent_slug%20desc&$skip=990&$select=message_id,top_intent_slug",
        "MessageFacts?$filter=nlp_status%20eq%20999&$orderby=received_at%20desc&$top=5",
        "Messages?$orderby=nlp_type%20desc&$skip=900&$top=200&$select=message_id,nlp_type",
        // Functions a person exploring the service may use.
        "Messages?$filter=contains(conversation_skill,'order')&$select=message_id,conversation_skill&$top=5",
        "Messages?$filter=startswith(connector_sender_id,'p-')&$count=true&$top=1",
        // Single entities, by simple and compound key, and one that is not there.
        &format!("Conversations({conversation})"),
        &format!("Messages(conversation_id={conversation},message_id={message})"),
        "Conversations(00000000-0000-0000-0000-000000000000)",
        // Client mistakes: 4xx on both.
        "Conversations?$filter=nope%20eq%201",
        "Nope",
        "Conversations?$orderby=nope",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!(
        "Messages?$filter=received_at%20ge%20{start}&$orderby=received_at&$select=message_id,received_at&$top=30"
    )])
    .collect();

    let cap_project = cai_bridge_tests::repo().join("generated-example/cap");
    let artifacts = cai_logs_bridge::artifacts();
    let differences = differences(&rt, &artifacts, &db, &cap_project, &requests);
    assert!(
        differences.is_empty(),
        "{} of {} requests answered differently:\n{}",
        differences.len(),
        requests.len(),
        differences.join("\n")
    );
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
    assert!(
        differences.is_empty(),
        "{} of {} requests answered differently:\n{}",
        differences.len(),
        requests.len(),
        differences.join("\n")
    );
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
