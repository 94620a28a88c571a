//! Reads around navigation against the real CAP on the same SQLite file: `$expand` in
//! both directions with nested options, navigation and property segments after a key,
//! and `$filter` paths and lambdas, on the CAI model and on the hostile one with three
//! levels of composition. Both servers must give the same statuses, media types,
//! contexts and entities, nested ones included.

use std::path::Path;

use cai_bridge_tests::differential::{database, differences, hostile_database};

/// Fails with every request CAP answers differently.
fn agree(artifacts: &cai_bridge::Artifacts, db: &Path, cap: &str, requests: &[String]) {
    let rt = cai_bridge_tests::runtime();
    let cap_project = cai_bridge_tests::repo().join(cap);
    let differences = differences(&rt, artifacts, db, &cap_project, requests);
    cai_bridge_tests::differential::assert_agree(&differences, requests.len());
}

/// `template` with each `{name}` replaced by its value and spaces percent-encoded.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.replace(' ', "%20");
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The CAI database of the differential tests, with an orphan message (its
/// conversation deleted) and a conversation without messages or channel, and the
/// values the requests name: `C` a conversation with messages and `M` one of them,
/// `OC`/`O` the orphan's conversation and message, `E` the empty conversation, `Z` an
/// id nothing has.
fn cai_fixture(rt: &tokio::runtime::Runtime, db: &Path) -> Vec<(&'static str, String)> {
    database(rt, db);
    let conn = rusqlite::Connection::open(db).expect("opens");
    // A conversation with several messages and a channel type, and one of its messages.
    let (conversation, message): (String, String) = conn
        .query_row(
            "SELECT c.id, min(m.message_id) FROM cai_logs_Conversations c \
             JOIN cai_logs_Messages m ON m.conversation_id = c.id \
             WHERE c.channel_type IS NOT NULL GROUP BY c.id HAVING count(*) >= 3 \
             ORDER BY c.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a conversation with messages");
    let (orphan_conversation, orphan): (String, String) = conn
        .query_row(
            "SELECT conversation_id, message_id FROM cai_logs_Messages \
             WHERE conversation_id <> ?1 ORDER BY conversation_id DESC LIMIT 1",
            [&conversation],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a message");
    let empty = "11111111-1111-4111-8111-111111111111";
    conn.execute(
        "DELETE FROM cai_logs_Conversations WHERE id = ?1",
        [&orphan_conversation],
    )
    .expect("deletes");
    conn.execute(
        "INSERT INTO cai_logs_Conversations (id, start_at) VALUES (?1, '2026-01-01T00:00:00.000Z')",
        [empty],
    )
    .expect("inserts");
    vec![
        ("C", conversation),
        ("M", message),
        ("OC", orphan_conversation),
        ("O", orphan),
        ("E", empty.to_owned()),
        ("Z", "00000000-0000-0000-0000-000000000000".to_owned()),
    ]
}

/// [`fill`] with owned values.
fn fill_all(templates: &[&str], values: &[(&str, String)]) -> Vec<String> {
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    templates.iter().map(|t| fill(t, &values)).collect()
}

#[test]
fn navigation_on_the_cai_model_answers_as_cap_does() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    let values = cai_fixture(&rt, &db);
    let requests = fill_all(&[
        // $expand of a composition, with each nested option.
        "Conversations?$top=3&$expand=messages",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id,nlp_sentiment)",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id;$top=2)",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id;$top=2;$skip=1)",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id;$orderby=received_at desc)",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id;$filter=nlp_sentiment eq 'positive';$count=true)",
        "Conversations?$top=5&$select=id&$expand=messages($top=0;$count=true)",
        "Conversations?$top=5&$select=id&$expand=messages($select=message_id;$count=false)",
        "Conversations?$top=4&$select=id&$expand=messages($select=*)",
        "Conversations?$top=4&$expand=messages()",
        "Conversations?$top=4&$expand=",
        // Two and three levels, both directions, and `*`.
        "Conversations?$top=3&$select=id&$expand=messages($expand=intents;$select=message_id)",
        "Conversations?$top=3&$select=id&$expand=messages($select=message_id;$expand=intents($select=slug,confidence;$orderby=confidence desc))",
        "Conversations?$top=2&$select=id&$expand=messages($select=message_id;$expand=intents($select=slug;$expand=message($select=message_id)))",
        "Conversations?$top=2&$select=id&$expand=messages($select=message_id;$expand=conversation($select=channel_type))",
        "Messages?$top=3&$expand=*",
        "Messages?$top=3&$select=message_id&$expand=*,conversation($select=channel_type)",
        "Messages?$top=3&$select=message_id&$expand=conversation($select=id),*",
        "Conversations?$top=2&$select=id&$expand=messages($select=message_id;$expand=*)",
        // $expand of the association back to the parent, with its options.
        "Messages?$top=5&$expand=conversation",
        "Messages?$top=5&$select=message_id&$expand=conversation($select=channel_type)",
        "Messages?$top=5&$select=message_id&$expand=conversation($filter=channel_type eq 'slack')",
        "Messages?$top=5&$select=message_id&$expand=conversation($select=id;$expand=messages($select=message_id))",
        "Intents?$top=5&$select=slug&$expand=message($select=nlp_sentiment;$expand=conversation($select=channel_type))",
        "Messages?$top=3&$select=message_id&$expand=intents,conversation($select=channel_type)",
        "Messages?$top=3&$expand=intents,conversation($select=channel_type)&$select=conversation,message_id",
        // Every page of a large set, expanded: 1000 with a next link, then the rest.
        "Messages?$expand=conversation($select=id)&$select=message_id",
        "Messages?$skip=1000&$expand=conversation($select=id)&$select=message_id",
        "Conversations?$expand=messages($select=message_id;$expand=intents($select=slug))&$select=id&$count=true",
        // With the set's own options.
        "Conversations?$filter=channel_type eq 'slack'&$orderby=start_at desc&$top=4&$count=true&$expand=messages($select=message_id)",
        "Conversations/$count?$expand=messages",
        // $select naming a navigation property selects nothing.
        "Conversations?$top=3&$select=messages",
        "Conversations?$top=3&$select=id,messages",
        "Conversations?$top=3&$select=messages&$expand=messages($select=message_id)",
        // Single entities, expanded.
        "Conversations({C})?$expand=messages",
        "Conversations({C})?$select=id&$expand=messages($select=message_id;$count=true;$top=1)",
        "Messages(conversation_id={C},message_id={M})?$expand=conversation,intents",
        "Messages(conversation_id={OC},message_id={O})?$expand=conversation&$select=message_id",
        "Conversations({E})?$expand=messages&$select=id",
        // Navigation segments.
        "Conversations({C})/messages",
        "Conversations({C})/messages?$select=message_id",
        "Conversations({C})/messages?$top=1&$select=message_id&$count=true",
        "Conversations({C})/messages?$filter=nlp_sentiment ne 'positive'&$orderby=received_at desc&$skip=1&$select=message_id,received_at",
        "Conversations({C})/messages?$expand=intents($select=slug)&$select=message_id",
        "Conversations({C})/messages/$count",
        "Conversations({C})/messages/$count?$filter=nlp_status eq 200",
        "Conversations({C})/messages({M})",
        "Conversations({C})/messages(message_id={M})?$select=message_id",
        "Conversations({C})/messages(conversation_id={C},message_id={M})?$select=message_id",
        "Conversations({C})/messages(conversation_id={Z},message_id={M})",
        "Conversations({C})/messages({M})/intents",
        "Conversations({C})/messages({M})/intents/$count",
        "Conversations({C})/messages({M})/conversation?$select=id",
        "Messages(conversation_id={C},message_id={M})/conversation",
        "Messages(conversation_id={C},message_id={M})/conversation?$select=channel_type&$expand=messages($select=message_id)",
        "Messages(conversation_id={C},message_id={M})/conversation/messages?$select=message_id",
        "Conversations({E})/messages",
        "Conversations({Z})/messages",
        "Messages(conversation_id={Z},message_id={M})/conversation",
        // A to-one navigation to nothing is 204, and a path through it 404.
        "Messages(conversation_id={OC},message_id={O})/conversation",
        "Messages(conversation_id={OC},message_id={O})/conversation/channel_type",
        "Messages(conversation_id={OC},message_id={O})/conversation/messages",
        // Properties and their raw values; null is 204.
        "Conversations({C})/channel_type",
        "Conversations({C})/channel_type/$value",
        "Conversations({C})/start_at/$value",
        "Conversations(id={C})/channel_type",
        "Messages(conversation_id={C},message_id={M})/nlp_status",
        "Messages(message_id={M},conversation_id={C})/nlp_status/$value",
        "Messages(conversation_id={C},message_id={M})/conversation/channel_type",
        "Conversations({C})/messages({M})/conversation/id",
        "Conversations({C})/messages({M})/intents(position=0)/confidence",
        "Conversations({C})/messages({M})/intents(0)/confidence/$value",
        "Conversations({E})/channel_type",
        "Conversations({E})/channel_type/$value",
        "Conversations({Z})/channel_type",
        // Unknown segments after a key are 404; mistakes are 4xx.
        "Conversations({C})/nope",
        "Conversations({C})/messages/nlp_sentiment",
        "Conversations/messages",
        "Conversations({C})/$value",
        // $filter through a to-one navigation, and lambdas over compositions.
        "Messages?$filter=conversation/channel_type eq 'slack'&$select=message_id&$top=5&$count=true",
        "Messages?$filter=conversation/channel_type eq null&$select=message_id&$count=true",
        "Messages?$filter=conversation/channel_type ne 'slack'&$count=true&$top=0",
        "Intents?$filter=message/conversation/channel_type eq 'slack' and confidence gt 0.8&$top=3&$count=true",
        "Conversations?$filter=messages/any(m:m/nlp_sentiment eq 'positive')&$select=id&$count=true&$top=5",
        "Conversations?$filter=messages/all(m:m/nlp_sentiment eq 'positive')&$select=id&$count=true&$top=5",
        "Conversations?$filter=messages/any()&$select=id&$count=true&$top=5",
        "Conversations?$filter=not messages/any()&$select=id&$count=true",
        "Conversations?$filter=messages/any(m:m/intents/any(i:i/slug eq 'greetings'))&$select=id&$count=true&$top=5",
        "Conversations?$filter=messages/any(m:m/nlp_status eq 200) and channel_type eq 'slack'&$select=id&$count=true&$top=5",
        "Conversations?$filter=messages/any(m:m/conversation/channel_type eq 'slack')&$select=id&$count=true&$top=5",
        "Messages?$filter=conversation/messages/any(x:x/nlp_sentiment eq 'negative')&$select=message_id&$count=true&$top=5",
        "Conversations?$filter=messages/all(m:m/nlp_status eq -1)&$select=id",
        "Conversations({C})/messages?$filter=intents/any(i:i/confidence gt 0.5)&$select=message_id",
        "Conversations?$top=3&$select=id&$expand=messages($filter=intents/any(i:i/slug eq 'greetings');$select=message_id)",
        "Conversations?$top=3&$select=id&$expand=messages($filter=conversation/channel_type eq 'slack';$select=message_id;$count=true)",
        "Conversations?$filter=messages/any(m:m/nlp_sentiment in ('negative','vnegative') and contains(m/conversation_skill,'order'))&$select=id&$count=true",
        "Conversations({C})/messages?$expand=conversation($select=id)&$select=message_id&$skiptoken=1",
        "Messages?$filter=conversation/nope eq 1",
        "Conversations?$filter=messages/any(m:nope eq 1)",
        // Mistakes in $expand are 4xx on both.
        "Conversations?$expand=nope",
        "Conversations?$expand=channel_type",
        "Conversations?$expand=messages/intents",
        "Conversations?$expand=messages($filter=nope eq 1)",
        "Conversations?$expand=messages($select=nope)",
        "Conversations?$expand=messages($orderby=nope)",
        "Conversations?$expand=messages($levels=2)",
        "Conversations?$expand=messages($nope=1)",
        "Conversations?$expand=messages(",
        "MessageFacts?$expand=conversation",
    ], &values);
    agree(
        &cai_logs_bridge::artifacts(),
        &db,
        "generated-example/cap",
        &requests,
    );
}

#[test]
fn navigation_on_three_levels_of_hostile_names_answers_as_cap_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hostile.db");
    hostile_database(&db, 60);
    let item = "00000000-0000-4000-8000-000000000000";
    let values = [("I", item)];
    let requests: Vec<String> = [
        "Items?$top=3&$select=id,order&$expand=lines($expand=values),tags",
        "Items?$top=4&$select=id&$expand=lines($select=sku,from;$orderby=qty desc;$expand=values($select=value;$top=1))",
        "Items?$top=4&$select=id,select&$expand=lines($select=order_id;$count=true;$filter=qty ge 1)",
        "Items?$top=3&$expand=*",
        "Values?$top=4&$expand=line($expand=item($select=order,select,key))",
        "Tags?$top=4&$select=value&$expand=item($select=type,match,total_cents)",
        "Lines?$select=sku&$expand=item($select=amount,paid),values($select=value)",
        "Items({I})?$expand=lines($select=sku;$expand=item($select=order))",
        "Items({I})/lines",
        "Items({I})/lines/$count",
        "Items({I})/lines(0)/values",
        "Items({I})/lines(position=0)/values(1)",
        "Items({I})/lines(0)/values(1)/value",
        "Items({I})/lines(0)/values(1)/value/$value",
        "Items({I})/lines(1)/from",
        "Items({I})/lines(1)/from/$value",
        "Items({I})/order",
        "Items({I})/paid/$value",
        "Items({I})/total_cents",
        "Items({I})/amount/$value",
        "Lines(item_id={I},position=0)/sku",
        "Lines(position=0,item_id={I})/item?$select=order",
        "Values(line_item_id={I},line_position=0,position=1)/line/sku",
        "Values(line_item_id={I},line_position=0,position=1)/line/item/order",
        "Values(line_item_id={I},line_position=0,position=1)/line/values?$select=value",
        "Items({I})/tags?$orderby=value desc",
        "Items({I})/nope",
        "Items?$filter=lines/any(l:l/values/any(v:v/value eq 'red'))&$select=id&$count=true&$top=3",
        "Items?$filter=tags/all(t:t/value ne 'gift') and lines/any()&$select=id&$count=true&$top=3",
        "Values?$filter=line/item/paid eq true&$count=true&$top=2",
        "Lines?$filter=item/status eq 'done' and item/order ne 'x'&$select=sku&$count=true&$top=3",
        "Lines?$filter=values/any(v:v/position ge 1)&$select=sku&$expand=values($select=value)",
        "Items?$top=5&$select=id&$expand=lines($filter=values/any(v:v/value eq 'red');$select=sku)",
        "Lines?$orderby=position_2 desc,item_id&$top=5&$select=sku&$expand=values($orderby=position desc)",
        "Items?$filter=lines/any(l:l/from eq null) and tags/any(t:startswith(t/value,'g'))&$select=id&$count=true",
    ]
    .iter()
    .map(|t| fill(t, &values))
    .collect();
    agree(
        &cai_bridge_golden_hostile::artifacts(),
        &db,
        "tests/golden-hostile/cap",
        &requests,
    );
}

/// Where CAP errs (5xx), is lenient with a mistake, or answers what OData does not
/// say, we answer differently on purpose; each case is README.md's list of deliberate
/// differences, checked against both servers so that the list stays true.
#[test]
fn the_deliberate_differences_from_cap_are_as_documented() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    let values = cai_fixture(&rt, &db);
    // (request, our status, CAP's status)
    let cases: &[(&str, u16, u16)] = &[
        // CAP fails where OData has an answer.
        ("Conversations?$filter=messages/$count gt 5&$select=id", 200, 500),
        ("Conversations?$top=2&$expand=messages($skip=1)", 200, 500),
        ("Conversations?$top=2&$expand=messages/$count", 200, 501),
        ("Conversations?$filter=messages/any(m:m/intents/any(i:i/slug eq m/conversation_skill))&$select=id", 200, 400),
        ("Conversations?$filter=$it/channel_type eq 'slack'&$select=id", 200, 400),
        // CAP answers what OData does not say.
        ("Conversations({C})/$count", 400, 200),
        ("Messages(conversation_id={OC},message_id={O})/conversation/$count", 400, 200),
        ("Conversations({Z})/messages/$count", 404, 200),
        ("Conversations?$filter=messages/nlp_status eq 200&$select=id", 400, 200),
        ("Messages?$select=conversation/channel_type&$top=1", 400, 200),
        ("Messages?$filter=conversation eq null&$top=1", 400, 200),
        ("Messages?$top=1&$expand=conversation($count=true)", 400, 200),
        ("Messages?$top=1&$expand=conversation($top=0)", 400, 200),
        // A bare name in a lambda is the lambda's member to CAP, `$it`'s to OData.
        ("Conversations?$filter=messages/any(m:nlp_status eq 200)&$select=id", 400, 200),
        // CAP is lenient with mistakes.
        ("Conversations?$top=1&$expand=messages,messages", 400, 200),
        ("Conversations?$top=1&$expand=messages($top=1;$top=2)", 400, 200),
        ("Conversations?$top=1&$expand=messages($top=-1)", 400, 200),
        ("Conversations?$top=1&$expand=messages($search=x)", 400, 200),
        ("Conversations/$count?$expand=nope", 400, 200),
        // Bounds.
        ("Conversations?$top=1&$expand=messages($expand=intents($expand=message($expand=conversation)))", 400, 200),
        // Not yet supported.
        ("Messages?$orderby=conversation/channel_type&$top=1", 400, 200),
    ];
    let requests = fill_all(&cases.iter().map(|c| c.0).collect::<Vec<_>>(), &values);
    let server = rt
        .block_on(cai_bridge::serve::ODataServer::start(
            &cai_logs_bridge::artifacts(),
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            cai_bridge_tests::differential::loopback(),
            cai_bridge::serve::Auth::Disabled,
        ))
        .expect("serves");
    let base = server.url();
    let ours: Vec<_> = requests
        .iter()
        .map(|r| cai_bridge_tests::differential::ours(&rt, &base, r))
        .collect();
    rt.block_on(server.shutdown());
    let cap_project = cai_bridge_tests::repo().join("generated-example/cap");
    let theirs = cai_bridge_tests::oracle::cap_serve(&cap_project, &db, &requests);
    for ((request, answer), (_, status, cap_status)) in requests.iter().zip(&ours).zip(cases) {
        assert_eq!(answer["status"], *status, "{request}: {answer}");
        assert_eq!(
            theirs[request.as_str()]["status"],
            *cap_status,
            "{request}: CAP {}",
            theirs[request.as_str()]
        );
        if *status >= 400 {
            assert!(
                answer["body"]["error"]["message"].is_string(),
                "{request}: {answer}"
            );
        }
    }
    // What we answer where CAP fails.
    let count = &ours[0]["value"];
    assert!(count.as_array().is_some_and(|v| !v.is_empty()), "{count}");
    let skipped = &ours[1]["value"][0]["messages"];
    assert!(skipped.is_array(), "{}", ours[1]);
    assert!(
        ours[2]["value"][0]["messages@odata.count"].is_u64(),
        "{}",
        ours[2]
    );
    assert!(ours[2]["value"][0].get("messages").is_none(), "{}", ours[2]);
}

/// CAP returns every entity of an expanded collection; we return a page of 1000 and
/// its next link, the collection's own URL with the same options, as OData's
/// server-driven paging has it. A page whose expansions hold many entities ends
/// early with a next link; the pages hold every entity once.
#[test]
fn long_expanded_collections_page_with_next_links() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let conn = rusqlite::Connection::open(&db).expect("opens");
    let conversation: String = conn
        .query_row("SELECT min(id) FROM cai_logs_Conversations", [], |r| {
            r.get(0)
        })
        .expect("a conversation");
    // 1500 more messages in one conversation, 40 more in each of the others.
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) \
         INSERT INTO cai_logs_Messages (conversation_id, message_id, received_at) \
         SELECT ?1, printf('%08x-0000-4000-8000-000000000000', i), '2026-01-01T00:00:00.000Z' FROM n",
        [&conversation],
    )
    .expect("inserts");
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
         INSERT INTO cai_logs_Messages (conversation_id, message_id, received_at) \
         SELECT c.id, printf('%08x-1111-4000-8000-000000000000', i), '2026-01-01T00:00:00.000Z' \
         FROM n, cai_logs_Conversations c WHERE c.id <> ?1",
        [&conversation],
    )
    .expect("inserts");
    // 100 intents for each message of that conversation: an answer too big to give.
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
         INSERT INTO cai_logs_Intents (message_conversation_id, message_message_id, position, slug) \
         SELECT m.conversation_id, m.message_id, 100 + i, 'many' FROM n, cai_logs_Messages m \
         WHERE m.conversation_id = ?1",
        [&conversation],
    )
    .expect("inserts");
    let total: u64 = conn
        .query_row("SELECT count(*) FROM cai_logs_Messages", [], |r| r.get(0))
        .expect("counts");
    let own: u64 = conn
        .query_row(
            "SELECT count(*) FROM cai_logs_Messages WHERE conversation_id = ?1",
            [&conversation],
            |r| r.get(0),
        )
        .expect("counts");
    drop(conn);
    let server = rt
        .block_on(cai_bridge::serve::ODataServer::start(
            &cai_logs_bridge::artifacts(),
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            cai_bridge_tests::differential::loopback(),
            cai_bridge::serve::Auth::Disabled,
        ))
        .expect("serves");
    let base = server.url();
    let get = |relative: &str| cai_bridge_tests::differential::ours(&rt, &base, relative);

    // One entity's collection: a page of 1000, then the rest behind its next link.
    let first = get(&format!(
        "Conversations({conversation})?$select=id&$expand=messages($select=message_id;$count=true)"
    ));
    let entity = &first["entity"];
    assert_eq!(
        entity["messages"].as_array().map(Vec::len),
        Some(1000),
        "{first}"
    );
    assert_eq!(entity["messages@odata.count"], own);
    let next = entity["messages@odata.nextLink"]
        .as_str()
        .expect("a next link");
    assert!(
        next.starts_with(&format!("Conversations({conversation})/messages?")),
        "{next}"
    );
    let rest = get(next);
    assert_eq!(
        rest["value"].as_array().map(Vec::len),
        Some(own as usize - 1000),
        "{rest}"
    );
    assert!(rest["nextLink"].is_null());
    assert_eq!(rest["odataCount"], own, "the link keeps the options");
    let mut ids: Vec<String> = entity["messages"]
        .as_array()
        .into_iter()
        .chain(rest["value"].as_array())
        .flatten()
        .map(|m| m["message_id"].to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, own);
    // $top inside $expand is honoured across the pages.
    let topped = get(&format!(
        "Conversations({conversation})?$expand=messages($top=1200;$select=message_id)"
    ));
    let next = topped["entity"]["messages@odata.nextLink"]
        .as_str()
        .expect("a next link");
    assert_eq!(get(next)["value"].as_array().map(Vec::len), Some(200));

    // Every conversation with every message, over pages that expansions end early.
    let (mut conversations, mut messages, mut pages) = (Vec::new(), 0u64, 0);
    let mut next = Some("Conversations?$select=id&$expand=messages($select=message_id)".to_owned());
    while let Some(relative) = next.take() {
        let page = get(&relative);
        assert_eq!(page["status"], 200, "{relative}: {page}");
        for c in page["value"].as_array().expect("a page") {
            conversations.push(c["id"].to_string());
            messages += c["messages"].as_array().map_or(0, |m| m.len() as u64);
            if let Some(link) = c["messages@odata.nextLink"].as_str() {
                messages += get(link)["value"].as_array().map_or(0, |m| m.len() as u64);
            }
        }
        pages += 1;
        next = page["nextLink"].as_str().map(str::to_owned);
    }
    assert!(pages > 1, "the expansions end the first page early");
    let count = conversations.len();
    conversations.sort();
    conversations.dedup();
    assert_eq!((conversations.len(), count), (300, 300));
    assert_eq!(messages, total);

    // 1000 messages with 100 intents each are more than one answer holds.
    let huge = get(&format!(
        "Conversations({conversation})?$expand=messages($expand=intents)"
    ));
    assert_eq!(huge["status"], 400, "{huge}");
    let message = huge["body"]["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("more than 100000 entities"), "{message}");
    let narrowed = get(&format!(
        "Conversations({conversation})?$expand=messages($top=10;$expand=intents($top=5))"
    ));
    assert_eq!(narrowed["status"], 200, "{narrowed}");
    rt.block_on(server.shutdown());
}

/// Nested entities are written as top-level ones are: an Int64 asked for as a string
/// (`IEEE754Compatible=true`) is one at every depth, so it survives JavaScript.
#[test]
fn nested_values_keep_their_edm_json_form() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hostile.db");
    hostile_database(&db, 3);
    let server = rt
        .block_on(cai_bridge::serve::ODataServer::start(
            &cai_bridge_golden_hostile::artifacts(),
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            cai_bridge_tests::differential::loopback(),
            cai_bridge::serve::Auth::Disabled,
        ))
        .expect("serves");
    let base = server.url();
    let answer = cai_bridge_tests::differential::ours(
        &rt,
        &base,
        "Lines?$top=1&$select=sku&$expand=item($select=total_cents,paid,amount)\
         &$format=application/json;IEEE754Compatible=true",
    );
    let item = &answer["value"][0]["item"];
    assert_eq!(item["total_cents"], "9007199254740993", "{answer}");
    assert!(
        item["paid"].is_boolean() && item["amount"].is_number(),
        "{answer}"
    );
    rt.block_on(server.shutdown());
}
