//! Every metric, defined once: its names in Chinese and English, its formula in words, and
//! the one function that computes it from a rollup's components under a tenant's settings.
//! Reports, the floor and the wallboard all call [`value`]; the glossary page and
//! `docs/metrics.md` are made from [`GLOSSARY`].

use serde::{Deserialize, Serialize};

use crate::components::{Components, repeat_index, threshold_index};

/// The four service-level formulas Chinese centers use (T = the service-level time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlFormula {
    /// (answered within T + abandoned within T) ÷ (answered + abandoned).
    AnsweredOrAbandonedInT,
    /// answered within T ÷ answered.
    AnsweredOnly,
    /// answered within T ÷ (answered + abandoned).
    AnsweredInTOverAll,
    /// answered within T ÷ (answered + abandoned after T).
    AbandonedAfterT,
}

impl SlFormula {
    pub const ALL: [SlFormula; 4] = [
        SlFormula::AnsweredOrAbandonedInT,
        SlFormula::AnsweredOnly,
        SlFormula::AnsweredInTOverAll,
        SlFormula::AbandonedAfterT,
    ];
}

/// A tenant's choices for the definitions that vary between centers. A change applies to
/// past data too: rollups keep components, never ratios.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub service_level_formula: SlFormula,
    /// T, seconds (taken down to the nearest of [`crate::THRESHOLDS_S`]).
    pub service_level_s: u32,
    /// Abandons within this many seconds are short (a wrong number, a caller who changed
    /// their mind), reported apart.
    pub short_abandon_s: u32,
    /// Leave short abandons out of the abandon rate and the service level (Genesys's
    /// switch).
    pub exclude_short_abandons: bool,
    /// Count calls that flowed out (overflow to another queue, callback, voicemail,
    /// disconnect) in the service level's denominator, as not within T.
    pub count_flow_outs: bool,
    /// A repeat call: the same number again within this many days (FCR's window).
    pub repeat_days: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            service_level_formula: SlFormula::AnsweredInTOverAll,
            service_level_s: 20,
            short_abandon_s: 5,
            exclude_short_abandons: true,
            count_flow_outs: false,
            repeat_days: 7,
        }
    }
}

/// How a metric reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// 0 to 1.
    Ratio,
    Seconds,
    /// 1 to 5.
    Score,
}

/// A metric of the glossary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Metric {
    pub key: &'static str,
    pub unit: Unit,
    pub zh: &'static str,
    pub en: &'static str,
    pub formula_zh: &'static str,
    pub formula_en: &'static str,
}

const fn m(
    key: &'static str,
    unit: Unit,
    zh: &'static str,
    en: &'static str,
    formula_zh: &'static str,
    formula_en: &'static str,
) -> Metric {
    Metric {
        key,
        unit,
        zh,
        en,
        formula_zh,
        formula_en,
    }
}

use Unit::{Count, Ratio, Score, Seconds};

/// Every metric a report shows, in the order reports show them.
pub const GLOSSARY: &[Metric] = &[
    m(
        "offered",
        Count,
        "进线量",
        "Offered",
        "进入队列的来电。溢出的来电在两个队列各计一次，全中心只计一次；转接的后段计为转入，不计新来电。",
        "Calls that entered a queue. An overflowed call counts in both queues and once for the center; a transfer's later part counts as transferred in, not as a new contact.",
    ),
    m(
        "answered",
        Count,
        "接通量",
        "Answered",
        "座席接起的来电，计在结束时所在的队列。",
        "Calls an agent answered, in the queue they ended in.",
    ),
    m(
        "abandoned",
        Count,
        "放弃量",
        "Abandoned",
        "排队中客户挂机（含短时放弃）。",
        "The caller hung up while waiting (short abandons included).",
    ),
    m(
        "short_abandoned",
        Count,
        "短时放弃",
        "Short abandons",
        "等待不超过短时放弃时长就挂机的来电，单独列出。",
        "Abandoned within the short-abandon time; reported apart.",
    ),
    m(
        "answer_rate",
        Ratio,
        "接通率",
        "Answer rate",
        "接通量 ÷ 进线量。",
        "Answered ÷ offered.",
    ),
    m(
        "abandon_rate",
        Ratio,
        "放弃率",
        "Abandon rate",
        "放弃量 ÷ 进线量（设置为排除短时放弃时，分子分母都减去短时放弃）。",
        "Abandoned ÷ offered (short abandons taken out of both when the tenant excludes them).",
    ),
    m(
        "service_level",
        Ratio,
        "服务水平",
        "Service level",
        "按租户选定的公式，T 为服务水平时长：①(T 内接通 + T 内放弃) ÷ (接通 + 放弃)；②T 内接通 ÷ 接通；③T 内接通 ÷ (接通 + 放弃)；④T 内接通 ÷ (接通 + T 后放弃)。可排除短时放弃，可将溢出计入分母。",
        "By the tenant's formula, T the service-level time: (1) (answered in T + abandoned in T) ÷ (answered + abandoned); (2) answered in T ÷ answered; (3) answered in T ÷ (answered + abandoned); (4) answered in T ÷ (answered + abandoned after T). Short abandons may be left out; flow-outs may count in the denominator.",
    ),
    m(
        "asa",
        Seconds,
        "平均应答速度",
        "Average speed of answer (ASA)",
        "接通来电的等待时长之和 ÷ 接通量；等待从进入第一个队列算起。",
        "Total wait of answered calls ÷ answered; the wait runs from arrival in the first queue.",
    ),
    m(
        "avg_abandon_wait",
        Seconds,
        "平均放弃时长",
        "Average wait before abandoning",
        "放弃来电的等待时长之和 ÷ 放弃量。",
        "Total wait of abandoned calls ÷ abandoned.",
    ),
    m(
        "max_wait",
        Seconds,
        "最长等待",
        "Longest wait",
        "接通或放弃来电中最长的等待。",
        "The longest wait of an answered or abandoned call.",
    ),
    m(
        "aht",
        Seconds,
        "平均处理时长",
        "Average handle time (AHT)",
        "(通话 + 保持 + 话后处理) ÷ 接通量；振铃与 IVR 时长另列。",
        "(talk + hold + after-call work) ÷ answered; ring and IVR time shown apart.",
    ),
    m(
        "talk_time",
        Seconds,
        "通话总时长",
        "Talk time",
        "接通来电的通话时长之和。",
        "Total talk of answered calls.",
    ),
    m(
        "avg_talk",
        Seconds,
        "平均通话时长",
        "Average talk",
        "通话时长 ÷ 接通量。",
        "Talk ÷ answered.",
    ),
    m(
        "avg_hold",
        Seconds,
        "平均保持时长",
        "Average hold",
        "保持时长 ÷ 接通量。",
        "Hold ÷ answered.",
    ),
    m(
        "avg_acw",
        Seconds,
        "平均话后处理",
        "Average after-call work",
        "话后处理时长 ÷ 接通量；话后处理计在座席上一通接起电话的队列。",
        "After-call work ÷ answered; counted in the queue of the agent's last answered call.",
    ),
    m(
        "avg_ring",
        Seconds,
        "平均振铃时长",
        "Average ring",
        "座席振铃至接起 ÷ 接通量。",
        "The agent's phone ringing before the answer ÷ answered.",
    ),
    m(
        "avg_ivr",
        Seconds,
        "平均 IVR 时长",
        "Average IVR time",
        "IVR 时长 ÷ (进线量 + IVR 内结束)。",
        "IVR time ÷ (offered + ended in the IVR).",
    ),
    m(
        "ivr_ended",
        Count,
        "IVR 内结束",
        "Ended in the IVR",
        "在 IVR 中挂机、未进入队列的来电（自助解决或放弃）。",
        "Calls that ended in the IVR without queueing (self-served or given up).",
    ),
    m(
        "flowed_out",
        Count,
        "溢出量",
        "Flowed out",
        "因溢出规则转往其他队列的来电，计在离开的队列。",
        "Sent on to another queue by overflow, counted in the queue left.",
    ),
    m(
        "callback_requested",
        Count,
        "排队转回呼",
        "Callbacks in queue",
        "排队中选择回呼的来电，单独计数。",
        "Callers who chose a callback while waiting; counted apart.",
    ),
    m(
        "voicemail",
        Count,
        "留言",
        "Voicemail",
        "转入留言的来电。",
        "Calls sent to voicemail.",
    ),
    m(
        "transferred_out",
        Count,
        "转接量",
        "Transfers",
        "座席转往队列或分机（含专家）的来电。",
        "Calls an agent passed on to a queue or an extension (experts included).",
    ),
    m(
        "transfer_rate",
        Ratio,
        "转接率",
        "Transfer rate",
        "转接量 ÷ 接通量。",
        "Transfers ÷ answered.",
    ),
    m(
        "outbound",
        Count,
        "外呼量",
        "Outbound",
        "座席外呼与回呼。",
        "Calls agents placed, callbacks included.",
    ),
    m(
        "outbound_answered",
        Count,
        "外呼接通",
        "Outbound answered",
        "对方接起的外呼。",
        "Outbound calls the other side answered.",
    ),
    m(
        "repeat_rate",
        Ratio,
        "重复来电率",
        "Repeat-call rate",
        "N 天内同一号码再次来电的来电 ÷ (进线量 + IVR 内结束)，N 为首次解决的天数。",
        "Contacts from a number that called within N days before ÷ (offered + ended in the IVR); N is the FCR window.",
    ),
    m(
        "fcr",
        Ratio,
        "首次解决率",
        "First-contact resolution (FCR)",
        "1 − 接通后 N 天内同一号码再次来电的来电 ÷ 接通量；计在第一通来电的时段、队列与座席。",
        "1 − answered contacts whose number called again within N days ÷ answered; counted in the first contact's half hour, queue and agent.",
    ),
    m(
        "kb_solved",
        Count,
        "知识解决量",
        "Solved with knowledge",
        "座席标记“这解决了问题”的来电（每位座席、每篇文章、每通来电记一次），计在标记的时段。",
        "Contacts an agent marked as solved by a knowledge article (once per agent, article and call), counted in the half hour of the mark.",
    ),
    m(
        "kb_resolution",
        Ratio,
        "知识解决率",
        "Knowledge resolution rate",
        "知识解决量 ÷ 接通量：知识库在首次接触中直接解答的比例，与首次解决率并看。",
        "Solved with knowledge ÷ answered: how often the knowledge base answered on the first contact; read beside FCR.",
    ),
    m(
        "occupancy",
        Ratio,
        "占用率",
        "Occupancy",
        "(振铃 + 通话 + 保持 + 话后处理) ÷ (同左 + 空闲)。",
        "(ringing + talking + hold + after-call work) ÷ (the same + ready and idle).",
    ),
    m(
        "utilisation",
        Ratio,
        "利用率",
        "Utilisation",
        "(振铃 + 通话 + 保持 + 话后处理) ÷ 登录时长。",
        "(ringing + talking + hold + after-call work) ÷ time signed in.",
    ),
    m(
        "staffed_time",
        Seconds,
        "登录时长",
        "Signed-in time",
        "座席非离线的时长。",
        "Time agents were not offline.",
    ),
    m(
        "ready_time",
        Seconds,
        "空闲时长",
        "Ready time",
        "就绪等待来电的时长。",
        "Time ready and waiting for a contact.",
    ),
    m(
        "not_ready_time",
        Seconds,
        "示忙时长",
        "Not-ready time",
        "示忙的时长，可按原因分列。",
        "Time not ready, by reason when asked.",
    ),
    m(
        "surveys",
        Count,
        "评价数",
        "Surveys",
        "客户在满意度调查中按键评价的来电。",
        "Calls the caller rated in the survey.",
    ),
    m(
        "satisfaction",
        Ratio,
        "满意率",
        "Satisfaction",
        "评 4 或 5 分的评价 ÷ 评价数。",
        "Ratings of 4 or 5 ÷ ratings.",
    ),
    m(
        "avg_score",
        Score,
        "平均满意度",
        "Average rating",
        "评分之和 ÷ 评价数（1–5）。",
        "Sum of ratings ÷ ratings (1–5).",
    ),
    m(
        "wrapups",
        Count,
        "小结数",
        "Wrap-ups",
        "座席记录的话后小结（按小结代码分列）。",
        "Wrap-ups agents recorded (by disposition code).",
    ),
    m(
        "ivr_visits",
        Count,
        "节点访问",
        "IVR node visits",
        "来电到达该 IVR 节点的次数。",
        "Times callers reached the IVR node.",
    ),
    m(
        "ivr_passed",
        Count,
        "离开 IVR",
        "Went on from the IVR",
        "以该节点为最后一个节点、离开 IVR 进入队列或转接的来电；在该节点挂机的计入“IVR 内结束”。",
        "Calls whose last IVR node this was and that went on to a queue or a transfer; those who hung up there count as ended in the IVR.",
    ),
    m(
        "orders_created",
        Count,
        "受理工单",
        "Work orders taken in",
        "受理（新建）的工单，计在受理的半小时。",
        "Work orders taken in, in the half hour they were.",
    ),
    m(
        "orders_resolved",
        Count,
        "办结工单",
        "Work orders resolved",
        "办结的次数（重开后再次办结再计一次），计在办结的半小时、办结时的处理组。",
        "Resolutions (a reopened order resolved again counts again), in the half hour and handling group of the resolution.",
    ),
    m(
        "on_time_rate",
        Ratio,
        "维修及时率",
        "On-time rate",
        "在办结时限内办结的次数 ÷ 有办结时限的办结次数（按工单自己的工作日历计时）。",
        "Resolutions within the order's resolve limit ÷ resolutions of orders with a resolve limit (timed on the order's own calendar).",
    ),
    m(
        "orders_closed",
        Count,
        "结案工单",
        "Work orders closed",
        "办结后结案的工单（回访满意、联系不上、经理特批），计在结案的半小时；无需回访、办结即结案的不计。",
        "Orders closed after their resolution (called back satisfied, never reached, or a manager's override), in the half hour they were; orders closed as resolved, owing no callback, are not counted.",
    ),
    m(
        "closed_loop_rate",
        Ratio,
        "闭环率",
        "Closed-loop rate",
        "回访联系到客户并确认后结案的工单 ÷ 结案工单。",
        "Orders closed after a callback that reached the customer and confirmed ÷ orders closed.",
    ),
    m(
        "leads_captured",
        Count,
        "登记线索",
        "Leads captured",
        "座席、导入和接口登记的销售线索，计在登记的半小时、登记时的客户阶段。",
        "Sales leads captured by agents, imports and the API, in the half hour and the customer's stage they were captured in.",
    ),
    m(
        "leads_won",
        Count,
        "成交线索",
        "Leads won",
        "成交的线索（经销商或中心），计在成交的半小时；成交的客户至少处于“购买”阶段。",
        "Leads won (by a dealer or the center), in the half hour they were won; a customer who bought is at least at the buying stage.",
    ),
    m(
        "lead_amount",
        Count,
        "成交金额（元）",
        "Amount won (yuan)",
        "成交线索的金额之和，单位元。",
        "The won leads' amounts added up, in yuan.",
    ),
    m(
        "lead_conversion",
        Ratio,
        "线索转化率",
        "Lead conversion",
        "成交线索 ÷ 登记线索（同一时段）。",
        "Leads won ÷ leads captured (in the same period).",
    ),
];

/// The glossary's entry for `key`.
pub fn metric(key: &str) -> Option<&'static Metric> {
    GLOSSARY.iter().find(|m| m.key == key)
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn secs(ms: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| ms as f64 / 1000.0 / d as f64)
}

/// The service level's numerator and denominator.
pub fn service_level_parts(c: &Components, s: &Settings) -> (i64, i64) {
    let t = threshold_index(s.service_level_s);
    let short = short_abandons(c, s);
    let (abandoned, abandoned_in_t) = if s.exclude_short_abandons {
        (
            c.abandoned - short,
            c.abandoned_in[t] - short.min(c.abandoned_in[t]),
        )
    } else {
        (c.abandoned, c.abandoned_in[t])
    };
    let flow = if s.count_flow_outs {
        c.flowed_out + c.callback_requested + c.voicemail + c.disconnected
    } else {
        0
    };
    let answered_in_t = c.answered_in[t];
    let (n, d) = match s.service_level_formula {
        SlFormula::AnsweredOrAbandonedInT => {
            (answered_in_t + abandoned_in_t, c.answered + abandoned)
        }
        SlFormula::AnsweredOnly => (answered_in_t, c.answered),
        SlFormula::AnsweredInTOverAll => (answered_in_t, c.answered + abandoned),
        SlFormula::AbandonedAfterT => (answered_in_t, c.answered + abandoned - abandoned_in_t),
    };
    (n, d + flow)
}

fn short_abandons(c: &Components, s: &Settings) -> i64 {
    c.abandoned_in[threshold_index(s.short_abandon_s)]
}

/// A metric's value over `c`; `None` where its denominator is zero (shown as "—", never
/// as 0 %), or for a key not in the glossary.
pub fn value(key: &str, c: &Components, s: &Settings) -> Option<f64> {
    let short = short_abandons(c, s);
    let busy = c.reserved_ms + c.talking_ms + c.holding_ms + c.acw_ms;
    let repeat = repeat_index(s.repeat_days);
    let count = |v: i64| Some(v as f64);
    match key {
        "offered" => count(c.offered),
        "answered" => count(c.answered),
        "abandoned" => count(c.abandoned),
        "short_abandoned" => count(short),
        "answer_rate" => ratio(c.answered, c.offered),
        "abandon_rate" if s.exclude_short_abandons => ratio(c.abandoned - short, c.offered - short),
        "abandon_rate" => ratio(c.abandoned, c.offered),
        "service_level" => {
            let (n, d) = service_level_parts(c, s);
            ratio(n, d)
        }
        "asa" => secs(c.wait_answered_ms, c.answered),
        "avg_abandon_wait" => secs(c.wait_abandoned_ms, c.abandoned),
        "max_wait" => secs(c.max_wait_ms, 1),
        "aht" => secs(c.talk_ms + c.hold_ms + c.acw_ms, c.answered),
        "talk_time" => secs(c.talk_ms, 1),
        "avg_talk" => secs(c.talk_ms, c.answered),
        "avg_hold" => secs(c.hold_ms, c.answered),
        "avg_acw" => secs(c.acw_ms, c.answered),
        "avg_ring" => secs(c.ring_ms, c.answered),
        "avg_ivr" => secs(c.ivr_ms, c.offered + c.ivr_ended),
        "ivr_ended" => count(c.ivr_ended),
        "flowed_out" => count(c.flowed_out),
        "callback_requested" => count(c.callback_requested),
        "voicemail" => count(c.voicemail),
        "transferred_out" => count(c.transferred_out),
        "transfer_rate" => ratio(c.transferred_out, c.answered),
        "outbound" => count(c.outbound),
        "outbound_answered" => count(c.outbound_answered),
        "repeat_rate" => ratio(c.repeat_in[repeat], c.offered + c.ivr_ended),
        "fcr" => ratio(c.recalled_in[repeat], c.answered).map(|r| 1.0 - r),
        "kb_solved" => count(c.kb_solved),
        "kb_resolution" => ratio(c.kb_solved, c.answered),
        "occupancy" => ratio(busy, busy + c.ready_ms),
        "utilisation" => ratio(busy, c.staffed_ms),
        "staffed_time" => secs(c.staffed_ms, 1),
        "ready_time" => secs(c.ready_ms, 1),
        "not_ready_time" => secs(c.not_ready_ms, 1),
        "surveys" => count(c.surveys),
        "satisfaction" => ratio(c.survey_satisfied, c.surveys),
        "avg_score" => ratio(c.survey_score_sum, c.surveys),
        "wrapups" => count(c.wrapups),
        "ivr_visits" => count(c.ivr_visits),
        "ivr_passed" => count(c.ivr_passed),
        "orders_created" => count(c.orders_created),
        "orders_resolved" => count(c.orders_resolved),
        "on_time_rate" => ratio(c.orders_on_time, c.orders_timed),
        "orders_closed" => count(c.orders_closed),
        "closed_loop_rate" => ratio(c.orders_closed_loop, c.orders_closed),
        "leads_captured" => count(c.leads_captured),
        "leads_won" => count(c.leads_won),
        "lead_amount" => Some(c.leads_won_fen as f64 / 100.0),
        "lead_conversion" => ratio(c.leads_won, c.leads_captured),
        _ => None,
    }
}

/// The glossary as Markdown: `docs/metrics.md`.
pub fn glossary_markdown() -> String {
    let mut s = String::from(
        "# Metrics (指标口径)\n\nGenerated from `crates/reports/src/metrics.rs` \
         (`UPDATE_EXPECT=1 cargo test -p reports`): every report, the floor view and the \
         wallboard compute these with the same function, from half-hour rollups of the \
         event log.\n\n\
         **Counting rules.** A call counts in the half hour it arrived in, in the tenant's \
         time zone's days. An overflowed call is offered in the queue it arrived in (and \
         flows out of it) and in the queue it ended in, where its outcome counts; the center \
         counts it once. A transferred call's later part counts as transferred in where it \
         lands, with its talk, never as a new contact. Agents' time in a state is split \
         across the half hours it spans. Ratios are never stored: a tenant's change of \
         formula or threshold applies to past data too.\n\n\
         | key | 指标 | Metric | 口径 | Definition |\n|---|---|---|---|---|\n",
    );
    for m in GLOSSARY {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            m.key, m.zh, m.en, m.formula_zh, m.formula_en
        ));
    }
    s
}
