//! The deterministic synthetic conversations the mock serves.
//!
//! Conversation `i` of a dataset is drawn from its own [`SplitMix64`] stream seeded
//! from the dataset seed and `i`, so it does not depend on how many conversations come
//! before it or in which order they are generated: growing `conversations` keeps the
//! existing ones, and the data is identical across platforms and crate versions.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::catalog::{
    Ent, Menu, Topic, Utterance, ACTS, CHANNELS, CHANNEL_WEIGHTS, FALLBACK, GOODBYE, GREETINGS,
    HOUR_WEIGHTS, LANGUAGE_WEIGHTS, MESSAGE_COUNT_WEIGHTS, MIDDLE_WEIGHTS, SENTIMENTS, TOPICS,
    WEEKDAY_WEIGHTS,
};
use super::rng::{mix64, SplitMix64};

const MS_PER_DAY: i64 = 86_400_000;

/// The conversations, sorted by `start_at` then `id`: their start instants, and
/// what makes each again on demand (its seed), so that a million conversations
/// cost tens of megabytes, not gigabytes, and every answer is the same each time.
/// Up to [`KEPT`] of them are also kept made, as their JSON text, so that serving
/// them costs a copy of that text: the sync benchmark runs the bridge beside this
/// mock on the same cores, where every cycle the mock spends is one the bridge lacks.
#[derive(Debug, Default)]
pub(crate) struct Dataset {
    /// The start instants in order, for range look-ups.
    pub starts: Vec<DateTime<Utc>>,
    /// For each position in that order, the index the conversation is made from.
    order: Vec<u64>,
    /// The seed mixed once; a conversation's own seed is this with its index in.
    root: u64,
    /// Midnight of the first day, in milliseconds.
    base: i64,
    day_weights: Vec<u32>,
    channel_ids: Vec<String>,
    /// Every conversation's JSON text, made, in order, where there are at most
    /// [`KEPT`].
    made: Option<Vec<Box<RawValue>>>,
}

/// Conversations kept made at most: the sync benchmark's largest volume (200,000)
/// fits in a few hundred megabytes.
pub(crate) const KEPT: usize = 200_000;

impl Dataset {
    /// `count` conversations spread over `days` days (at least one) from `start`.
    pub(crate) fn generate(seed: u64, count: usize, start: DateTime<Utc>, days: u32) -> Dataset {
        let days = i64::from(days.max(1));
        // Milliseconds are the precision of `start_at`; working in them keeps the
        // instants we filter on equal to the text we serve.
        let base = start.timestamp_millis();
        let day_weights: Vec<u32> = (0..days)
            .map(|d| WEEKDAY_WEIGHTS[weekday_index(at(base + d * MS_PER_DAY))])
            .collect();
        // The seed is mixed before the index goes in: with a plain `seed ^ index`, seed
        // 43 would replay seed 42's conversations shifted by one index.
        let root = mix64(seed);
        // Only the head of each (its id and start) to sort by; the rest is made when
        // it is asked for.
        let mut heads: Vec<(DateTime<Utc>, String, u64)> = (0..count as u64)
            .map(|i| {
                let (id, start_ms) = head(&mut SplitMix64::new(root ^ i), base, &day_weights);
                (at(start_ms), id, i)
            })
            .collect();
        heads.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut data = Dataset {
            starts: heads.iter().map(|h| h.0).collect(),
            order: heads.iter().map(|h| h.2).collect(),
            root,
            base,
            day_weights,
            channel_ids: channel_ids(seed),
            made: None,
        };
        if count <= KEPT {
            data.made = Some(data.range(0..count).into_owned());
        }
        data
    }

    /// How many conversations there are.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// The JSON text of the conversation at `position` in the order, made from its
    /// seed.
    fn make(&self, position: usize) -> Box<RawValue> {
        let mut rng = SplitMix64::new(self.root ^ self.order[position]);
        let value = conversation(&mut rng, self.base, &self.day_weights, &self.channel_ids);
        // A `Value` always serializes; its text is compact JSON, as an answer's.
        serde_json::value::to_raw_value(&value).expect("a JSON value serializes")
    }

    /// The conversations at `positions`, in order, as JSON text: borrowed where they
    /// are kept.
    pub(crate) fn range(&self, positions: std::ops::Range<usize>) -> Cow<'_, [Box<RawValue>]> {
        match &self.made {
            Some(made) => Cow::Borrowed(&made[positions]),
            None => Cow::Owned(positions.map(|p| self.make(p)).collect()),
        }
    }

    /// The conversations at `positions`, parsed.
    pub(crate) fn values(&self, positions: std::ops::Range<usize>) -> Vec<Value> {
        parsed(&self.range(positions))
    }

    /// The conversations with `from <= start_at < to`, at most `cap` of them.
    pub(crate) fn window(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cap: usize,
    ) -> Cow<'_, [Box<RawValue>]> {
        let lo = self.starts.partition_point(|s| *s < from);
        let hi = self.starts.partition_point(|s| *s < to).max(lo);
        self.range(lo..hi.min(lo.saturating_add(cap)))
    }
}

/// Conversations' JSON text, parsed. The text was serialized from a `Value`, so it
/// parses back to it.
fn parsed(texts: &[Box<RawValue>]) -> Vec<Value> {
    texts
        .iter()
        .filter_map(|c| serde_json::from_str(c.get()).ok())
        .collect()
}

/// The bot's channel ids, fixed per seed like a real bot's.
fn channel_ids(seed: u64) -> Vec<String> {
    let mut rng = SplitMix64::new(mix64(seed ^ 0xC4A7_0000_0000_0001));
    CHANNELS.iter().map(|_| rng.uuid()).collect()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn weekday_index(t: DateTime<Utc>) -> usize {
    t.weekday().num_days_from_monday() as usize
}

fn text_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Confidences are printed with two decimals, as CAI does.
fn confidence(rng: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    ((lo + (hi - lo) * rng.unit()) * 100.0).round() / 100.0
}

/// A conversation's id and start (milliseconds), its seed's first draws.
fn head(rng: &mut SplitMix64, base: i64, day_weights: &[u32]) -> (String, i64) {
    let id = rng.uuid();
    let day = rng.weighted(day_weights) as i64;
    let hour = rng.weighted(&HOUR_WEIGHTS) as i64;
    let within_hour = rng.below(3_600_000) as i64;
    (id, base + day * MS_PER_DAY + hour * 3_600_000 + within_hour)
}

fn conversation(
    rng: &mut SplitMix64,
    base: i64,
    day_weights: &[u32],
    channel_ids: &[String],
) -> Value {
    let (id, start_ms) = head(rng, base, day_weights);
    let start_at = at(start_ms);

    let channel = rng.weighted(&CHANNEL_WEIGHTS);
    let lang = rng.weighted(&LANGUAGE_WEIGHTS);
    let sender = sender_id(rng, channel);

    let mut object = Map::new();
    object.insert("id".into(), Value::String(id));
    object.insert("start_at".into(), Value::String(text_time(start_at)));
    object.insert(
        "channel_id".into(),
        Value::String(channel_ids[channel].clone()),
    );
    // Older conversations lack the channel type, or carry it as null.
    match rng.weighted(&[75, 15, 10]) {
        0 => {
            let kind = CHANNELS[channel].channel_type;
            object.insert("channel_type".into(), Value::String(kind.into()));
        }
        1 => {
            object.insert("channel_type".into(), Value::Null);
        }
        _ => {}
    }

    let count = rng.weighted(&MESSAGE_COUNT_WEIGHTS) + 1;
    let mut received = start_ms;
    let mut clicked: Option<Click> = None;
    let mut messages = Vec::with_capacity(count);
    for k in 0..count {
        if k > 0 {
            received += if rng.chance(0.05) {
                rng.range(120_000, 600_000) as i64
            } else {
                rng.range(1_500, 45_000) as i64
            };
        }
        let turn = Turn {
            origin: CHANNELS[channel].origin,
            sender: &sender,
            lang,
            received: at(received),
        };
        let (message, menu) = match clicked.take() {
            Some(click) => turn.click(rng, click),
            None => {
                let topic = if k == 0 && rng.chance(0.65) {
                    GREETINGS
                } else if k + 1 == count && k > 0 && rng.chance(0.55) {
                    GOODBYE
                } else {
                    rng.weighted(&MIDDLE_WEIGHTS)
                };
                turn.typed(rng, topic)
            }
        };
        messages.push(message);
        // A user answers a menu by clicking one of its buttons more often than not.
        if let Some(menu) = menu {
            if k + 1 < count && rng.chance(0.6) {
                let (title, value, topic) = *rng.pick(menu.buttons);
                clicked = Some(Click {
                    title: title[lang],
                    value,
                    topic,
                    button: rng.chance(0.3),
                });
            }
        }
    }
    object.insert("messages".into(), Value::Array(messages));
    Value::Object(object)
}

fn sender_id(rng: &mut SplitMix64, channel: usize) -> String {
    use super::catalog::SenderStyle;
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const MIXED: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut draw = |alphabet: &[u8], n: usize| -> String {
        (0..n).map(|_| char::from(*rng.pick(alphabet))).collect()
    };
    match CHANNELS[channel].sender {
        SenderStyle::Web => format!("p-{}", draw(b"0123456789abcdef", 6)),
        SenderStyle::Slack => format!("U{}", draw(UPPER, 10)),
        SenderStyle::Teams => format!("29:{}", draw(MIXED, 17)),
        SenderStyle::Phone => format!("+491{}", draw(b"0123456789", 9)),
    }
}

/// What one message of a conversation shares with the others.
struct Turn<'a> {
    origin: &'static str,
    sender: &'a str,
    lang: usize,
    received: DateTime<Utc>,
}

/// A click on an item of the menu the bot showed: the item and where it leads.
struct Click {
    title: &'static str,
    value: &'static str,
    topic: usize,
    /// A button (else a quick reply).
    button: bool,
}

/// The NLU outcome of a message before it is written out.
struct Nlu {
    skill: Option<&'static str>,
    intents: Vec<Value>,
    /// Entity name → the occurrences found, as CAI keys them.
    entities: Map<String, Value>,
}

impl Turn<'_> {
    /// A message the user typed about `topic`; returns the menu the bot showed, if any.
    fn typed(&self, rng: &mut SplitMix64, topic: usize) -> (Value, Option<&'static Menu>) {
        let t = &TOPICS[topic];
        let utterance: Utterance = *rng.pick(t.utterances[self.lang]);
        let number = rng.range(1000, 99_999).to_string();
        let date = match utterance.ent {
            Ent::Date {
                days,
                weekday,
                hour,
                ..
            } => Some(self.date(days, weekday, hour)),
            _ => None,
        };
        let fill = |s: &str| {
            let s = s.replace("{n}", &number);
            match &date {
                Some(d) => s.replace("{d}", &d[..10]),
                None => s.replace("{d}", &text_time(self.received)[..10]),
            }
        };
        let text = fill(utterance.text);
        let mut entities = Map::new();
        match utterance.ent {
            Ent::None => {}
            Ent::Order { raw } => {
                if rng.chance(0.7) {
                    // A gold entity: its number as `scalar`, no `value`.
                    let scalar = number.parse::<u64>().unwrap_or_default();
                    let found = json!({ "scalar": scalar, "raw": number, "confidence": confidence(rng, 0.8, 0.99) });
                    entities.insert("number".into(), json!([found]));
                }
                // A custom entity: a `value`.
                let found = json!({ "value": number, "raw": fill(raw), "confidence": confidence(rng, 0.8, 0.99) });
                entities.insert("order-number".into(), json!([found]));
            }
            Ent::Date { raw, .. } => {
                let iso = date.clone().unwrap_or_default();
                let found = json!({
                    "formatted": formatted(&iso),
                    "iso": iso,
                    "accuracy": "day,hour",
                    "chronology": "future",
                    "state": null,
                    "raw": raw,
                    "confidence": confidence(rng, 0.8, 0.99),
                });
                entities.insert("datetime".into(), json!([found]));
            }
        }
        let nlu = Nlu {
            skill: t.skill,
            intents: intents(rng, topic, false),
            entities,
        };
        self.message(rng, topic, "text", Value::String(text), nlu, &fill)
    }

    /// A click on a menu item: CAI's input types `button` and `quickReply` (singular),
    /// whose content is the item clicked.
    fn click(&self, rng: &mut SplitMix64, click: Click) -> (Value, Option<&'static Menu>) {
        let kind = if click.button { "button" } else { "quickReply" };
        let number = rng.range(1000, 99_999).to_string();
        let today = text_time(self.received);
        let fill = |s: &str| s.replace("{n}", &number).replace("{d}", &today[..10]);
        let nlu = Nlu {
            skill: TOPICS[click.topic].skill,
            intents: intents(rng, click.topic, true),
            entities: Map::new(),
        };
        let content = json!({ "title": click.title, "value": click.value });
        self.message(rng, click.topic, kind, content, nlu, &fill)
    }

    /// The instant a date phrase means: `days` after the message, or the next
    /// `weekday`, at `hour` UTC.
    fn date(&self, days: i64, weekday: Option<u32>, hour: u32) -> String {
        let today = self.received.timestamp_millis().div_euclid(MS_PER_DAY);
        let ahead = match weekday {
            Some(w) => {
                let now = i64::from(self.received.weekday().num_days_from_monday());
                (i64::from(w) - now - 1).rem_euclid(7) + 1
            }
            None => days,
        };
        text_time(at(
            (today + ahead) * MS_PER_DAY + i64::from(hour) * 3_600_000
        ))
    }

    fn message(
        &self,
        rng: &mut SplitMix64,
        topic: usize,
        input_type: &str,
        content: Value,
        mut nlu: Nlu,
        fill: &dyn Fn(&str) -> String,
    ) -> (Value, Option<&'static Menu>) {
        let t: &Topic = &TOPICS[topic];
        let message_id = rng.uuid();
        // A failed NLP call leaves the message without NLU data.
        let status = if rng.chance(0.02) {
            *rng.pick(&[500u16, 503])
        } else {
            200
        };
        if status != 200 {
            nlu.intents.clear();
            nlu.entities.clear();
        }
        let skill = match nlu.skill {
            Some(_) if topic == FALLBACK && rng.chance(0.4) => None,
            Some(_) if rng.chance(0.04) => None,
            other => other,
        };
        let sentiment = if status != 200 || rng.chance(0.08) {
            Value::Null
        } else {
            Value::String(SENTIMENTS[rng.weighted(&t.sentiments)].into())
        };
        let act = if status != 200 || rng.chance(0.05) {
            Value::Null
        } else {
            Value::String(ACTS[rng.weighted(&t.acts)].into())
        };
        let nlp_type = match rng.weighted(&[15, 35, 50]) {
            0 => None,
            1 => Some(Value::Null),
            _ if t.nlp_types.is_empty() => Some(Value::Null),
            _ => Some(Value::String((*rng.pick(t.nlp_types)).into())),
        };
        let (replies, menu) = replies(rng, t, self.lang, fill);

        let mut m = Map::new();
        m.insert("connector_origin".into(), Value::String(self.origin.into()));
        m.insert(
            "connector_sender_id".into(),
            Value::String(self.sender.into()),
        );
        m.insert("message_id".into(), Value::String(message_id));
        m.insert(
            "conversation_skill".into(),
            skill.map_or(Value::Null, |s| Value::String(s.into())),
        );
        m.insert(
            "input_message_type".into(),
            Value::String(input_type.into()),
        );
        let input = json!({ "content": content, "type": input_type });
        m.insert(
            "input_message_content".into(),
            Value::String(input.to_string()),
        );
        m.insert("replies".into(), Value::String(replies));
        m.insert(
            "received_at".into(),
            Value::String(text_time(self.received)),
        );
        m.insert("nlp_sentiment".into(), sentiment);
        m.insert("nlp_act".into(), act);
        m.insert("nlp_status".into(), Value::from(status));
        m.insert("intents".into(), Value::Array(nlu.intents));
        m.insert("entities".into(), Value::Object(nlu.entities));
        if let Some(nlp_type) = nlp_type {
            m.insert("nlp_type".into(), nlp_type);
        }
        (Value::Object(m), menu)
    }
}

/// The intents matched for a message about `topic`, by confidence descending.
fn intents(rng: &mut SplitMix64, topic: usize, clicked: bool) -> Vec<Value> {
    let mut found: Vec<(f64, usize)> = Vec::new();
    let top = if topic == FALLBACK {
        // Nothing matches well: at most a weak guess.
        if rng.chance(0.3) {
            confidence(rng, 0.1, 0.45)
        } else {
            return Vec::new();
        }
    } else if clicked {
        let c = confidence(rng, 0.95, 0.99);
        found.push((c, topic));
        c
    } else {
        let c = confidence(rng, 0.6, 0.99);
        found.push((c, topic));
        c
    };
    let extra = if topic == FALLBACK {
        1
    } else {
        rng.weighted(&[5, 4, 2])
    };
    for _ in 0..extra {
        let other = rng.below(TOPICS.len() as u64 - 1) as usize;
        if other == topic || found.iter().any(|&(_, t)| t == other) {
            continue;
        }
        let c = if topic == FALLBACK {
            top
        } else {
            confidence(rng, 0.05, (top - 0.01).max(0.05))
        };
        found.push((c, other));
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found
        .into_iter()
        .filter_map(|(c, t)| {
            let topic = &TOPICS[t];
            let slug = topic.slug?;
            Some(json!({ "slug": slug, "confidence": c, "description": topic.description }))
        })
        .collect()
}

/// A datetime gold entity's `formatted`: "Monday, 08 March 2021 at 09:00:00 AM (UTC)".
fn formatted(iso: &str) -> String {
    DateTime::parse_from_rfc3339(iso).map_or_else(
        |_| iso.to_owned(),
        |t| t.format("%A, %d %B %Y at %I:%M:%S %p (UTC)").to_string(),
    )
}

/// The bot's replies as CAI stores them (JSON text) and the menu among them, if any.
fn replies(
    rng: &mut SplitMix64,
    topic: &Topic,
    lang: usize,
    fill: &dyn Fn(&str) -> String,
) -> (String, Option<&'static Menu>) {
    if rng.chance(0.06) {
        return ("[]".into(), None);
    }
    let texts = topic.replies[lang];
    // Two replies, when the bot gives two, come in the catalog's order: they read as
    // one answer.
    let (first, count) = if texts.len() > 1 && rng.chance(0.35) {
        (rng.below(texts.len() as u64 - 1) as usize, 2)
    } else {
        (rng.below(texts.len() as u64) as usize, 1)
    };
    let mut out: Vec<Value> = texts[first..first + count]
        .iter()
        .map(|text| json!({ "type": "text", "content": fill(text) }))
        .collect();
    let mut shown = None;
    if let Some(menu) = topic.menu {
        if rng.chance(0.5) {
            let buttons: Vec<Value> = menu
                .buttons
                .iter()
                .map(|(title, value, _)| json!({ "title": title[lang], "value": value }))
                .collect();
            out.push(json!({
                "type": "quickReplies",
                "content": { "title": menu.title[lang], "buttons": buttons },
            }));
            shown = Some(menu);
        }
    } else if topic.slug == Some("human-handover") && rng.chance(0.4) {
        out.push(json!({
            "type": "buttons",
            "content": {
                "title": "Need more help?",
                "buttons": [
                    { "title": "Call us", "type": "phonenumber", "value": "+49 6227 7 47474" },
                    { "title": "FAQ", "type": "web_url", "value": "https://example.com/faq" },
                ],
            },
        }));
    }
    (Value::Array(out).to_string(), shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2021-02-01T00:00:00Z")
            .map(|t| t.to_utc())
            .unwrap()
    }

    #[test]
    fn same_config_same_data_and_prefix_stable() {
        let all = |d: &Dataset| d.values(0..d.len());
        let a = all(&Dataset::generate(42, 300, start(), 30));
        let b = all(&Dataset::generate(42, 300, start(), 30));
        assert_eq!(a, b);
        let c = all(&Dataset::generate(43, 300, start(), 30));
        assert_ne!(a, c);
        let ids_a: std::collections::BTreeSet<&str> =
            a.iter().filter_map(|c| c["id"].as_str()).collect();
        assert!(c.iter().all(|c| !ids_a.contains(c["id"].as_str().unwrap())));
        // Growing the dataset keeps the conversations already there.
        let more = all(&Dataset::generate(42, 400, start(), 30));
        assert!(a.iter().all(|c| more.contains(c)));
    }

    /// Pins the dataset: a change here changes every demo and test that uses the mock,
    /// so it must be deliberate (update the digest and say so in the changelog).
    #[test]
    fn dataset_fingerprint_is_stable() {
        use sha2::{Digest, Sha256};
        let data = Dataset::generate(42, 100, start(), 30);
        let text = serde_json::to_string(&*data.range(0..data.len())).unwrap();
        let digest: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            "898c6d8229d7c33ee5fdc913f853289db5ed2921216abf1262161769545009de"
        );
    }

    #[test]
    fn conversations_made_on_demand_are_those_kept_made() {
        let mut data = Dataset::generate(42, 300, start(), 30);
        let kept = data.values(0..data.len());
        // As above KEPT: nothing kept, each made from its seed when asked for.
        data.made = None;
        assert!(matches!(data.range(0..1), Cow::Owned(_)));
        assert_eq!(data.values(0..data.len()), kept);
        assert_eq!(data.values(17..18)[0], kept[17]);
    }

    #[test]
    fn window_is_half_open_and_capped() {
        let data = Dataset::generate(1, 200, start(), 10);
        let t = data.starts[50];
        let w = parsed(&data.window(t, data.starts[120], 1000));
        let first = data.starts.partition_point(|s| *s < t);
        assert_eq!(w.first(), data.values(first..first + 1).first());
        assert!(w
            .iter()
            .all(|c| c["start_at"].as_str() < Some(&*text_time(data.starts[120]))));
        assert_eq!(data.window(t, t, 1000).len(), 0);
        assert_eq!(data.window(data.starts[120], t, 1000).len(), 0);
        assert_eq!(
            data.window(start(), at(start().timestamp_millis() + 20 * MS_PER_DAY), 7)
                .len(),
            7
        );
    }

    #[test]
    fn next_weekday_is_strictly_ahead() {
        // 2021-02-05 is a Friday: "next friday" is a week later, "monday" three days.
        let turn = Turn {
            origin: "web-client",
            sender: "p-1",
            lang: 0,
            received: DateTime::parse_from_rfc3339("2021-02-05T17:45:17.044Z")
                .unwrap()
                .to_utc(),
        };
        assert_eq!(turn.date(0, Some(4), 12), "2021-02-12T12:00:00.000Z");
        assert_eq!(turn.date(0, Some(0), 10), "2021-02-08T10:00:00.000Z");
        assert_eq!(turn.date(1, None, 9), "2021-02-06T09:00:00.000Z");
    }
}
