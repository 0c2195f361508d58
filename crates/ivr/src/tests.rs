//! A water utility's hotline flow, walked by callers.

use std::collections::BTreeMap;

use super::*;

struct Hours(bool);

impl Env for Hours {
    fn calendar_open(&self, _: &str) -> bool {
        self.0
    }
}

/// 欢迎致电自来水热线: closed → voicemail; large accounts straight to their queue; else a menu:
/// 1 repairs, 2 billing (account number first), 0 an agent.
fn hotline() -> Flow {
    serde_json::from_value(serde_json::json!({
        "start": "hours",
        "nodes": {
            "hours": {"type": "branch", "when": {"if": "open", "calendar": "office"}, "then": "vip", "otherwise": "closed"},
            "closed": {"type": "play", "prompt": "tts:现在是非工作时间，请留言", "next": "mailbox"},
            "mailbox": {"type": "voicemail", "mailbox": "after-hours"},
            "vip": {"type": "branch", "when": {"if": "equals", "variable": "segment", "value": "large_account"}, "then": "vip-queue", "otherwise": "welcome"},
            "vip-queue": {"type": "queue", "queue": "vip", "priority": 50},
            "welcome": {"type": "menu", "prompt": "welcome.wav", "invalid": "tts:输入有误",
                        "options": {"1": "repairs", "2": "account", "0": "agents"}, "timeout_s": 5, "retries": 2, "fallback": "agents"},
            "repairs": {"type": "queue", "queue": "repairs"},
            "account": {"type": "collect", "prompt": "tts:请输入户号，以井号结束", "variable": "account", "min": 6, "max": 10,
                        "timeout_s": 5, "retries": 1, "next": "billing", "fallback": "agents"},
            "billing": {"type": "queue", "queue": "billing"},
            "agents": {"type": "queue", "queue": "general"}
        }
    }))
    .unwrap()
}

fn steps(c: &mut Caller) -> Vec<Step> {
    std::iter::from_fn(|| c.poll_step()).collect()
}

fn play(p: &str) -> Step {
    Step::Play { prompt: p.into() }
}

fn queue(q: &str) -> Step {
    Step::Queue {
        queue: q.into(),
        priority: 0,
    }
}

#[test]
fn the_hotline_flow_checks() {
    let names = ["vip", "repairs", "billing", "general"].map(String::from);
    hotline()
        .check(Some(&names), Some(&["office".to_string()]))
        .unwrap();
}

#[test]
fn after_hours_callers_leave_a_message() {
    let mut c = Caller::new(hotline(), BTreeMap::new());
    c.handle_start(0, &Hours(false));
    assert_eq!(steps(&mut c), [play("tts:现在是非工作时间，请留言")]);
    c.handle_played(3_000, &Hours(false));
    assert_eq!(
        steps(&mut c),
        [Step::Voicemail {
            mailbox: "after-hours".into()
        }]
    );
    assert!(c.is_done());
}

#[test]
fn large_accounts_skip_the_menu() {
    let vars = BTreeMap::from([("segment".to_string(), "large_account".to_string())]);
    let mut c = Caller::new(hotline(), vars);
    c.handle_start(0, &Hours(true));
    assert_eq!(
        steps(&mut c),
        [Step::Queue {
            queue: "vip".into(),
            priority: 50
        }]
    );
    assert_eq!(c.trail(), ["hours", "vip", "vip-queue"]);
}

#[test]
fn a_key_during_the_prompt_barges_in() {
    let mut c = Caller::new(hotline(), BTreeMap::new());
    c.handle_start(0, &Hours(true));
    assert_eq!(steps(&mut c), [play("welcome.wav")]);
    c.handle_digit(1_000, '1', &Hours(true));
    assert_eq!(steps(&mut c), [Step::StopPlaying, queue("repairs")]);
}

#[test]
fn a_wrong_key_and_silence_repeat_the_menu_then_fall_back() {
    let mut c = Caller::new(hotline(), BTreeMap::new());
    c.handle_start(0, &Hours(true));
    steps(&mut c);
    c.handle_played(4_000, &Hours(true));
    assert_eq!(c.poll_timeout(), Some(9_000));
    c.handle_digit(5_000, '7', &Hours(true));
    assert_eq!(steps(&mut c), [play("tts:输入有误"), play("welcome.wav")]);
    c.handle_played(9_000, &Hours(true));
    c.handle_timeout(13_999, &Hours(true));
    assert!(steps(&mut c).is_empty(), "not yet due");
    c.handle_timeout(14_000, &Hours(true));
    assert_eq!(steps(&mut c), [play("welcome.wav")]);
    c.handle_played(18_000, &Hours(true));
    c.handle_timeout(23_000, &Hours(true));
    assert_eq!(steps(&mut c), [queue("general")]);
}

#[test]
fn an_account_number_is_collected_ended_by_hash() {
    let mut c = Caller::new(hotline(), BTreeMap::new());
    c.handle_start(0, &Hours(true));
    steps(&mut c);
    c.handle_digit(500, '2', &Hours(true));
    assert_eq!(
        steps(&mut c),
        [Step::StopPlaying, play("tts:请输入户号，以井号结束")]
    );
    c.handle_played(3_000, &Hours(true));
    for (i, d) in "1234567#".chars().enumerate() {
        c.handle_digit(4_000 + i as u64 * 500, d, &Hours(true));
    }
    assert_eq!(steps(&mut c), [queue("billing")]);
    assert_eq!(c.vars()["account"], "1234567");
}

#[test]
fn too_few_digits_ask_again_then_fall_back() {
    let mut c = Caller::new(hotline(), BTreeMap::new());
    c.handle_start(0, &Hours(true));
    c.handle_digit(500, '2', &Hours(true));
    steps(&mut c);
    c.handle_played(3_000, &Hours(true));
    for d in "12#".chars() {
        c.handle_digit(4_000, d, &Hours(true));
    }
    assert_eq!(steps(&mut c), [play("tts:请输入户号，以井号结束")]);
    c.handle_played(6_000, &Hours(true));
    c.handle_timeout(11_000, &Hours(true));
    assert_eq!(steps(&mut c), [queue("general")]);
    assert!(!c.vars().contains_key("account"));
}

#[track_caller]
fn refused(mut edit: impl FnMut(&mut Flow), field: &str) {
    let mut f = hotline();
    edit(&mut f);
    let err = f.check(None, None).unwrap_err();
    assert_eq!(err.field, field, "{err}");
}

#[test]
fn flows_that_would_strand_a_caller_are_refused() {
    refused(|f| f.start = "nowhere".into(), "start");
    refused(
        |f| {
            if let Some(Node::Menu { options, .. }) = f.nodes.get_mut("welcome") {
                options.insert("5".into(), "gone".into());
            }
        },
        "nodes.welcome.options",
    );
    refused(
        |f| {
            if let Some(Node::Menu { options, .. }) = f.nodes.get_mut("welcome") {
                options.insert("x".into(), "agents".into());
            }
        },
        "nodes.welcome.options.x",
    );
    refused(
        |f| {
            if let Some(Node::Menu { timeout_s, .. }) = f.nodes.get_mut("welcome") {
                *timeout_s = 0.0;
            }
        },
        "nodes.welcome.timeout_s",
    );
    refused(
        |f| {
            f.nodes
                .insert("orphan".into(), Node::Hangup { prompt: None });
        },
        "nodes.orphan",
    );
    // Two branches pointing at each other would spin forever.
    refused(
        |f| {
            f.nodes.insert(
                "vip".into(),
                Node::Branch {
                    when: Condition::Known {
                        variable: "x".into(),
                    },
                    then: "hours".into(),
                    otherwise: "welcome".into(),
                },
            );
        },
        "nodes.hours",
    );
    let names = ["repairs".to_string()];
    let err = hotline().check(Some(&names), None).unwrap_err();
    assert_eq!(err.field, "nodes.agents.queue");
    let err = hotline().check(None, Some(&[])).unwrap_err();
    assert_eq!(err.field, "nodes.hours.when.calendar");
}
