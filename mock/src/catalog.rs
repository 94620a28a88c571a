//! What the synthetic bot talks about: its intents with the user texts and bot replies
//! in English, German and Japanese, its quick-reply menus and its channels.
//!
//! Texts carry placeholders the generator fills: `{n}` an order number, `{d}` a date.

/// The languages of the synthetic users; an index into every per-language table.
pub(crate) const LANGUAGES: usize = 3;
/// How often each language starts a conversation (en, de, ja).
pub(crate) const LANGUAGE_WEIGHTS: [u32; LANGUAGES] = [6, 3, 1];

/// The sentiment scale of the spec, in [`Topic::sentiments`] weight order.
pub(crate) const SENTIMENTS: [&str; 5] =
    ["vnegative", "negative", "neutral", "positive", "vpositive"];
/// The speech acts of the spec, in [`Topic::acts`] weight order.
pub(crate) const ACTS: [&str; 4] = ["assert", "command", "wh-query", "yn-query"];

/// An entity a user text contains.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ent {
    /// No entity.
    None,
    /// An order number `{n}`; `raw` is the phrase around it, with `{n}`.
    Order { raw: &'static str },
    /// A date phrase `raw` meaning `days` after the message, or the next `weekday`
    /// (0 = Monday) when given, at `hour` o'clock UTC.
    Date {
        raw: &'static str,
        days: i64,
        weekday: Option<u32>,
        hour: u32,
    },
}

/// One thing a user may type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Utterance {
    pub text: &'static str,
    pub ent: Ent,
}

const fn say(text: &'static str) -> Utterance {
    Utterance {
        text,
        ent: Ent::None,
    }
}

const fn order(text: &'static str, raw: &'static str) -> Utterance {
    Utterance {
        text,
        ent: Ent::Order { raw },
    }
}

const fn date(text: &'static str, raw: &'static str, days: i64, hour: u32) -> Utterance {
    Utterance {
        text,
        ent: Ent::Date {
            raw,
            days,
            weekday: None,
            hour,
        },
    }
}

const fn weekday(text: &'static str, raw: &'static str, weekday: u32, hour: u32) -> Utterance {
    Utterance {
        text,
        ent: Ent::Date {
            raw,
            days: 0,
            weekday: Some(weekday),
            hour,
        },
    }
}

/// A quick-reply menu the bot may show: a title and buttons `(title, value, topic)`,
/// where `topic` is the index in [`TOPICS`] a click on the button leads to.
pub(crate) struct Menu {
    pub title: [&'static str; LANGUAGES],
    pub buttons: &'static [([&'static str; LANGUAGES], &'static str, usize)],
}

/// One intent of the bot with what users say for it and what the bot answers.
pub(crate) struct Topic {
    /// The intent slug; `None` for messages no intent matches.
    pub slug: Option<&'static str>,
    pub description: Option<&'static str>,
    pub skill: Option<&'static str>,
    /// Relative weights over [`SENTIMENTS`].
    pub sentiments: [u32; 5],
    /// Relative weights over [`ACTS`].
    pub acts: [u32; 4],
    /// NLP question types (`class:subclass`); empty when the type is always null.
    pub nlp_types: &'static [&'static str],
    pub utterances: [&'static [Utterance]; LANGUAGES],
    pub replies: [&'static [&'static str]; LANGUAGES],
    /// A menu the bot may add to its replies.
    pub menu: Option<&'static Menu>,
}

pub(crate) const GREETINGS: usize = 0;
pub(crate) const GOODBYE: usize = 7;
pub(crate) const FALLBACK: usize = 8;
/// How often each topic is the subject of a message in the middle of a conversation.
pub(crate) const MIDDLE_WEIGHTS: [u32; 9] = [0, 8, 4, 4, 2, 2, 3, 0, 3];

static MAIN_MENU: Menu = Menu {
    title: [
        "How can I help?",
        "Wobei kann ich helfen?",
        "ご用件をお選びください",
    ],
    buttons: &[
        (
            [
                "Track an order 📦",
                "Bestellung verfolgen 📦",
                "注文を追跡 📦",
            ],
            "track",
            1,
        ),
        (
            ["Book a meeting", "Termin buchen", "会議を予約"],
            "meeting",
            3,
        ),
        (
            [
                "Talk to a human 🙋",
                "Mitarbeiter sprechen 🙋",
                "担当者と話す 🙋",
            ],
            "human",
            4,
        ),
    ],
};

static FEEDBACK_MENU: Menu = Menu {
    title: [
        "Was this helpful?",
        "War das hilfreich?",
        "お役に立ちましたか？",
    ],
    buttons: &[
        (["Yes 👍", "Ja 👍", "はい 👍"], "yes", GOODBYE),
        (["No 👎", "Nein 👎", "いいえ 👎"], "no", 5),
    ],
};

/// The bot's intents; the indices are used by the menus and the constants above.
pub(crate) static TOPICS: [Topic; 9] = [
    Topic {
        slug: Some("greetings"),
        description: Some("Says hello"),
        skill: Some("greetings"),
        sentiments: [0, 0, 3, 4, 3],
        acts: [6, 3, 0, 1],
        nlp_types: &[],
        utterances: [
            &[
                say("hello"),
                say("hi there"),
                say("hey 👋"),
                say("good morning!"),
                say("Hi, I need some help"),
            ],
            &[
                say("Hallo"),
                say("Guten Morgen!"),
                say("Servus 👋"),
                say("Grüß Gott"),
            ],
            &[
                say("こんにちは"),
                say("おはようございます"),
                say("もしもし 👋"),
            ],
        ],
        replies: [
            &[
                "Hi, nice to meet you :)",
                "Hello! How can I help you today?",
                "Hey! 😀 What can I do for you?",
            ],
            &[
                "Hallo! Wie kann ich Ihnen helfen?",
                "Guten Tag! Was kann ich für Sie tun?",
            ],
            &["こんにちは！ご用件は何でしょうか？"],
        ],
        menu: Some(&MAIN_MENU),
    },
    Topic {
        slug: Some("order-status"),
        description: Some("Asks where an order is"),
        skill: Some("order-status"),
        sentiments: [0, 2, 6, 1, 0],
        acts: [1, 1, 6, 2],
        nlp_types: &["loc:other", "desc:manner"],
        utterances: [
            &[
                order("where is my order {n}?", "order {n}"),
                order("my package {n} hasn't arrived yet 😕", "package {n}"),
                order("status of order {n} please", "order {n}"),
            ],
            &[
                order("Wo ist meine Bestellung {n}?", "Bestellung {n}"),
                order("Meine Lieferung {n} ist noch nicht da 😕", "Lieferung {n}"),
                order("Status der Bestellung {n} bitte", "Bestellung {n}"),
            ],
            &[
                order("注文 {n} はどこですか？", "注文 {n}"),
                order("注文番号{n}の状況を教えてください", "注文番号{n}"),
            ],
        ],
        replies: [
            &[
                "Let me check order {n} for you.",
                "Order {n} left our warehouse yesterday and should arrive on Monday. 📦",
            ],
            &[
                "Ich sehe mir Bestellung {n} an.",
                "Bestellung {n} ist unterwegs und kommt voraussichtlich am Montag. 📦",
            ],
            &["注文 {n} を確認します。", "注文 {n} は発送済みです。"],
        ],
        menu: None,
    },
    Topic {
        slug: Some("delivery-date"),
        description: Some("Asks when a delivery arrives"),
        skill: Some("order-status"),
        sentiments: [0, 1, 6, 2, 0],
        acts: [0, 0, 8, 2],
        nlp_types: &["num:date", "loc:other"],
        utterances: [
            &[
                say("when will my parcel arrive?"),
                date("can you deliver it tomorrow?", "tomorrow", 1, 9),
                weekday("will it be here by friday?", "friday", 4, 12),
            ],
            &[
                say("Wann kommt meine Lieferung?"),
                weekday("Kommt das Paket bis Freitag?", "bis Freitag", 4, 12),
                date("Können Sie morgen liefern?", "morgen", 1, 9),
            ],
            &[
                say("いつ届きますか？"),
                date("明日届きますか？", "明日", 1, 9),
            ],
        ],
        replies: [
            &[
                "Your delivery is planned for {d}.",
                "It should arrive within 2–3 business days.",
            ],
            &[
                "Die Lieferung ist für den {d} geplant.",
                "Sie sollte in 2–3 Werktagen ankommen.",
            ],
            &["お届けは{d}の予定です。"],
        ],
        menu: None,
    },
    Topic {
        slug: Some("book-meeting"),
        description: Some("Books a meeting"),
        skill: Some("book-meeting"),
        sentiments: [0, 0, 6, 3, 1],
        acts: [2, 7, 0, 1],
        nlp_types: &["enty:event", "num:date"],
        utterances: [
            &[
                weekday(
                    "book a meeting next monday at 10",
                    "next monday at 10",
                    0,
                    10,
                ),
                date("I'd like an appointment tomorrow", "tomorrow", 1, 9),
                weekday(
                    "can we meet on friday afternoon?",
                    "friday afternoon",
                    4,
                    15,
                ),
            ],
            &[
                weekday(
                    "Ich möchte einen Termin am Freitag um 14 Uhr",
                    "am Freitag um 14 Uhr",
                    4,
                    14,
                ),
                date("Termin für nächste Woche, bitte", "nächste Woche", 7, 9),
            ],
            &[weekday(
                "来週の月曜日に会議を予約したい",
                "来週の月曜日",
                0,
                10,
            )],
        ],
        replies: [
            &[
                "Done! Your meeting is booked for {d}. 📅",
                "Which time works best for you?",
            ],
            &[
                "Erledigt! Ihr Termin ist am {d}. 📅",
                "Welche Uhrzeit passt Ihnen?",
            ],
            &["{d}に会議を予約しました。📅"],
        ],
        menu: None,
    },
    Topic {
        slug: Some("human-handover"),
        description: None,
        skill: Some("human-handover"),
        sentiments: [1, 3, 5, 1, 0],
        acts: [3, 6, 0, 1],
        nlp_types: &["hum:ind"],
        utterances: [
            &[
                say("I want to talk to a human"),
                say("agent please"),
                say("can I speak to someone real? 🙋"),
            ],
            &[
                say("Ich möchte mit einem Mitarbeiter sprechen"),
                say("Bitte einen echten Menschen!"),
            ],
            &[say("人と話したいです"), say("オペレーターをお願いします")],
        ],
        replies: [
            &["I'm connecting you with a colleague. Please hold on."],
            &["Ich verbinde Sie mit einem Kollegen. Einen Moment bitte."],
            &["担当者におつなぎします。少々お待ちください。"],
        ],
        menu: None,
    },
    Topic {
        slug: Some("complaint"),
        description: Some("Complains about the service"),
        skill: Some("complaint"),
        sentiments: [4, 5, 1, 0, 0],
        acts: [8, 1, 1, 0],
        nlp_types: &["desc:desc"],
        utterances: [
            &[
                say("this is terrible 😡"),
                say("your service is really slow"),
                say("I've been waiting for two weeks!"),
            ],
            &[
                say("Das ist eine Frechheit! 😡"),
                say("Ich bin sehr unzufrieden mit dem Service"),
                say("Seit zwei Wochen warte ich schon!"),
            ],
            &[say("対応が遅すぎます 😡"), say("がっかりしました")],
        ],
        replies: [
            &[
                "I'm sorry to hear that. 😔",
                "I understand, let me see what I can do.",
            ],
            &[
                "Das tut mir leid. Ich kümmere mich darum.",
                "Das verstehe ich. Einen Moment bitte.",
            ],
            &["大変申し訳ございません。"],
        ],
        menu: None,
    },
    Topic {
        slug: Some("smalltalk"),
        description: None,
        skill: Some("smalltalk"),
        sentiments: [0, 1, 4, 4, 2],
        acts: [2, 0, 4, 4],
        nlp_types: &["desc:manner", "desc:desc"],
        utterances: [
            &[
                say("how are you?"),
                say("are you a bot? 🤖"),
                say("tell me a joke 😄"),
                say("what's your name?"),
            ],
            &[say("Wie geht's?"), say("Bist du ein Roboter? 🤖")],
            &[say("元気ですか？"), say("あなたはロボットですか？🤖")],
        ],
        replies: [
            &[
                "I'm a bot, but I'm doing great! 🤖",
                "I'm your virtual assistant.",
            ],
            &[
                "Mir geht's gut, danke! 🤖",
                "Ich bin Ihr virtueller Assistent.",
            ],
            &["元気です！ありがとうございます。"],
        ],
        menu: Some(&MAIN_MENU),
    },
    Topic {
        slug: Some("goodbye"),
        description: Some("Says goodbye"),
        skill: Some("goodbye"),
        sentiments: [0, 0, 2, 5, 3],
        acts: [8, 2, 0, 0],
        nlp_types: &[],
        utterances: [
            &[
                say("thanks, bye!"),
                say("bye 👋"),
                say("that's all, thank you"),
                say("cheers"),
            ],
            &[
                say("Danke, tschüss!"),
                say("Auf Wiedersehen"),
                say("Vielen Dank 🙏"),
            ],
            &[say("ありがとう！"), say("さようなら 👋")],
        ],
        replies: [
            &["You're welcome! Bye 👋", "Have a nice day! ☀️"],
            &["Gern geschehen! Tschüss 👋", "Schönen Tag noch!"],
            &["どういたしまして！👋"],
        ],
        menu: Some(&FEEDBACK_MENU),
    },
    Topic {
        slug: None,
        description: None,
        skill: Some("fallback"),
        sentiments: [0, 1, 6, 1, 0],
        acts: [5, 2, 2, 1],
        nlp_types: &["desc:desc"],
        utterances: [
            &[
                say("asdf"),
                say("🤔"),
                say("¿hablas español?"),
                say("what is the meaning of life"),
                say("price of bitcoin?"),
            ],
            &[say("Häh?"), say("Was kostet ein Döner?")],
            &[say("？？？"), say("天気はどう？")],
        ],
        replies: [
            &["Sorry, I didn't get that. Could you rephrase?"],
            &["Entschuldigung, das habe ich nicht verstanden."],
            &["すみません、よくわかりませんでした。"],
        ],
        menu: None,
    },
];

/// A channel of the bot: connector origin, channel type and how the connector spells
/// a sender id.
pub(crate) struct Channel {
    pub origin: &'static str,
    pub channel_type: &'static str,
    pub sender: SenderStyle,
}

/// How a connector spells sender ids.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SenderStyle {
    /// Web client: `p-` and hex digits.
    Web,
    /// Slack member id: `U` and upper-case letters and digits.
    Slack,
    /// Teams: `29:` and letters and digits.
    Teams,
    /// WhatsApp: an international phone number.
    Phone,
}

/// The bot's channels.
pub(crate) static CHANNELS: [Channel; 4] = [
    Channel {
        origin: "web-client",
        channel_type: "webchat",
        sender: SenderStyle::Web,
    },
    Channel {
        origin: "slack",
        channel_type: "slack",
        sender: SenderStyle::Slack,
    },
    Channel {
        origin: "msteams",
        channel_type: "msteams",
        sender: SenderStyle::Teams,
    },
    Channel {
        origin: "whatsapp",
        channel_type: "whatsapp",
        sender: SenderStyle::Phone,
    },
];
/// How often each channel carries a conversation.
pub(crate) const CHANNEL_WEIGHTS: [u32; 4] = [6, 2, 2, 1];

/// Relative traffic per hour of the day (UTC): quiet nights, a morning and an
/// afternoon peak.
pub(crate) const HOUR_WEIGHTS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 3, 6, 10, 14, 16, 15, 12, 14, 15, 14, 12, 10, 8, 7, 6, 4, 3, 2,
];

/// Relative traffic per weekday, Monday first.
pub(crate) const WEEKDAY_WEIGHTS: [u32; 7] = [10, 10, 10, 10, 9, 4, 3];

/// How often a conversation has 1, 2, … 10 messages.
pub(crate) const MESSAGE_COUNT_WEIGHTS: [u32; 10] = [10, 18, 20, 16, 12, 8, 6, 4, 3, 3];
