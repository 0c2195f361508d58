//! The demo center that `hotline start` (`serve --demo`) opens with: a water utility's
//! hotline (自来水热线 96332) with a user of every role and a few hundred customers, so a
//! new user can log in and look around at once. Seeding is idempotent: an existing demo
//! tenant is left as it is.
//!
//! For telephony: dialled number 96332 reaches the flow `main` (1 repair 报修, 2 complaint
//! 投诉, 3 consultation 咨询; no key → consultation); extensions 1001–1006 with SIP password
//! `secret<ext>` belong to agents who log in as `agent<ext>` / `secret<ext>`.

use store::{
    Address, CustomerData, CustomerPhone, NewTenant, NewUser, Role, Segment, Store, StoreError,
};

/// The demo users' password, printed by `hotline start`.
pub const DEMO_PASSWORD: &str = "hotline-demo";
pub const DEMO_TENANT: &str = "demo";

/// The demo extensions; each has an agent `agent<ext>` with password `secret<ext>`.
pub const DEMO_EXTENSIONS: std::ops::RangeInclusive<u32> = 1001..=1006;

/// The demo's queues: key, name.
const DEMO_QUEUES: &[(&str, &str)] = &[
    ("repair", "报修 Repairs"),
    ("complaint", "投诉 Complaints"),
    ("consult", "咨询 Consultation"),
    // Work orders' callbacks (回访): previewed on the desktop, so a minute to place one.
    ("callback", "回访 Callbacks"),
];

/// The main IVR flow of the demo.
pub fn demo_flow() -> serde_json::Value {
    serde_json::json!({
        "start": "welcome",
        "nodes": {
            "welcome": {"type": "play", "prompt": "welcome", "next": "menu"},
            "menu": {
                "type": "menu", "prompt": "menu",
                "options": {
                    "1": "to-repair", "2": "to-complaint", "3": "to-consult",
                    "4": "callback-repair"
                },
                "timeout_s": 5.0, "retries": 1, "invalid": "invalid", "fallback": "to-consult"
            },
            "to-repair": {"type": "queue", "queue": "repair"},
            "to-complaint": {"type": "queue", "queue": "complaint"},
            "to-consult": {"type": "queue", "queue": "consult"},
            "callback-repair": {"type": "callback", "queue": "repair"}
        }
    })
}

/// The survey callers are passed to when the agent hangs up (满意度调查): the key they
/// press is the `score`.
pub fn survey_flow() -> serde_json::Value {
    serde_json::json!({
        "start": "ask",
        "nodes": {
            "ask": {
                "type": "collect",
                "prompt": "tts:请您对本次服务进行评价：非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。",
                "variable": "score", "min": 1, "max": 1, "timeout_s": 8.0, "retries": 1,
                "next": "thanks", "fallback": "bye"
            },
            "thanks": {"type": "hangup", "prompt": "tts:感谢您的评价，再见。"},
            "bye": {"type": "hangup", "prompt": null}
        }
    })
}

/// Who to log in as: (tenant slug or none, user name, role).
pub fn demo_logins() -> Vec<(Option<&'static str>, &'static str, Role)> {
    let mut v = vec![(None, "root", Role::PlatformAdmin)];
    for (name, role, _, _) in DEMO_USERS {
        v.push((Some(DEMO_TENANT), *name, *role));
    }
    v
}

/// User name, role, the name people see, and the extension of those who take calls (with
/// SIP password `secret<ext>`).
const DEMO_USERS: &[(&str, Role, &str, Option<u32>)] = &[
    ("admin", Role::TenantAdmin, "管理员 Admin", None),
    ("banzhang", Role::Supervisor, "班长 王芳", Some(8000)),
    ("agent01", Role::Agent, "座席 李娜", Some(8001)),
    ("agent02", Role::Agent, "座席 张伟", Some(8002)),
    ("agent03", Role::Agent, "座席 刘洋", Some(8003)),
    ("zhijian", Role::QualityInspector, "质检 陈静", None),
    ("expert", Role::Expert, "专家 杨磊", Some(8009)),
    ("houtai", Role::BackOffice, "后台 赵敏", None),
    ("weixiu", Role::BackOffice, "维修 刘强", None),
    ("dealer", Role::Dealer, "经销商 周杰", None),
];

/// Creates the demo tenant, its users and customers unless it exists. Returns whether it
/// seeded anything.
pub async fn seed(store: &Store, now_ms: i64) -> Result<bool, StoreError> {
    if store.tenant_by_slug(DEMO_TENANT).await?.is_some() {
        return Ok(false);
    }
    let hash = crate::auth::hash_password(DEMO_PASSWORD).map_err(|e| StoreError::Invalid {
        field: "password",
        reason: e.message,
    })?;
    if store.user_by_name(None, "root").await?.is_none() {
        store
            .create_user(
                &NewUser {
                    tenant: None,
                    username: "root".into(),
                    display_name: "平台管理员 Platform admin".into(),
                    role: Role::PlatformAdmin,
                    password_hash: hash.clone(),
                },
                now_ms,
            )
            .await?;
    }
    let tenant = store
        .create_tenant(
            &NewTenant::new(
                DEMO_TENANT,
                "自来水热线 96332 (演示)",
                24,
                "demo.hotline.local",
            ),
            now_ms,
        )
        .await?;
    let mut takers = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for (username, role, display, extension) in DEMO_USERS {
        let user = store
            .create_user(
                &NewUser {
                    tenant: Some(tenant.id),
                    username: (*username).into(),
                    display_name: (*display).into(),
                    role: *role,
                    password_hash: hash.clone(),
                },
                now_ms,
            )
            .await?;
        if let Some(ext) = extension {
            takers.push((user.id, *ext));
        }
        ids.insert(*username, user.id.0);
        // The demo's dealer serves two districts of Hangzhou.
        if *role == Role::Dealer {
            let regions = serde_json::json!({"regions": [
                {"province": "浙江省", "city": "杭州市", "district": "西湖区"},
                {"province": "浙江省", "city": "杭州市", "district": "滨江区"}]});
            store
                .scoped(tenant.id)
                .put_config(
                    "dealer",
                    &user.id.0.to_string(),
                    &regions,
                    None,
                    now_ms,
                    None,
                )
                .await?;
        }
    }
    store
        .scoped(tenant.id)
        .set_tenant_numbers(&["96332".into(), "+8657196332".into()], now_ms)
        .await?;
    store
        .scoped(tenant.id)
        .create_customers(&demo_customers(300), now_ms)
        .await?;
    seed_telephony(store, tenant.id, &takers, now_ms).await?;
    seed_work_orders(store, tenant.id, &ids, now_ms).await?;
    seed_knowledge(store, tenant.id, ids.get("expert").copied(), now_ms).await?;
    Ok(true)
}

/// The water utility's knowledge base: the relevance set's 80 water articles, published by
/// the expert; those without agents' scripts public (the FAQ page, the IVR, SMS).
async fn seed_knowledge(
    store: &Store,
    tenant: store::TenantId,
    expert: Option<i64>,
    now_ms: i64,
) -> Result<(), StoreError> {
    const ARTICLES: &str = include_str!("../../kb/tests/data/water.articles.jsonl");
    let scoped = store.scoped(tenant);
    for line in ARTICLES.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let doc = app::kb::ArticleDoc {
            body: text("body"),
            tags: v["tags"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            ..app::kb::ArticleDoc::default()
        };
        let public = !doc.body.contains("坐席") && !doc.body.contains("话术");
        let doc = serde_json::to_string(&doc).map_err(|e| StoreError::Invalid {
            field: "doc",
            reason: e.to_string(),
        })?;
        let expert = expert.map(store::UserId);
        scoped
            .write_kb_article(
                None,
                0,
                &store::KbFields {
                    title: &text("title"),
                    category: &text("category"),
                    status: "published",
                    public,
                    owner: expert,
                    doc: &doc,
                },
                expert,
                now_ms,
            )
            .await?;
    }
    // Words callers use for the same thing, and the expert who keeps the meters' articles.
    let mut settings = app::config::CenterSettings::defaults();
    settings.knowledge = Some(app::config::KnowledgeSettings {
        synonyms: [
            &["水表", "表计", "计量表"][..],
            &["停水", "断水", "没水"],
            &["缴费", "交费", "付费"],
            &["发票", "票据"],
        ]
        .iter()
        .map(|g| g.iter().map(|w| w.to_string()).collect())
        .collect(),
        owners: expert
            .map(|user_id| {
                ["水表", "水质", "漏水"]
                    .map(|c| app::config::CategoryOwner {
                        category: c.into(),
                        user_id,
                    })
                    .to_vec()
            })
            .unwrap_or_default(),
    });
    // The demo's leads: a water utility sells purifiers and meters through dealers.
    settings.leads = Some(app::config::LeadSettings {
        product_lines: vec!["净水器".into(), "智能水表".into(), "管道改造".into()],
        ..app::config::LeadSettings::default()
    });
    // The demo calls at any hour, so it can be tried at any hour (and its tests do not
    // depend on the time of day); a new tenant's policy is 08:00–21:00 Beijing time but
    // statutory holidays, once a day, three times a week.
    settings.contact_policy = Some(app::config::ContactPolicy {
        per_day: 3,
        per_week: 10,
        hours: Some(calendar::CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            weekly: std::array::from_fn(|_| vec!["00:00-24:00".to_string()]),
            cn_statutory: false,
            holidays: Vec::new(),
            workdays: Vec::new(),
            special: Vec::new(),
        }),
    });
    let settings = serde_json::to_value(&settings).map_err(|e| StoreError::Invalid {
        field: "settings",
        reason: e.to_string(),
    })?;
    scoped
        .put_config("settings", "center", &settings, None, now_ms, None)
        .await?;
    Ok(())
}

/// The water utility's kinds of work order (seed 002: 咨询, 投诉, 报修, 报装, 服务申请, 建议,
/// 表扬) with their categories, fields and time limits, and who handles them: the back
/// office, the crews by district, the second-line experts for water quality.
async fn seed_work_orders(
    store: &Store,
    tenant: store::TenantId,
    ids: &std::collections::HashMap<&str, i64>,
    now_ms: i64,
) -> Result<(), StoreError> {
    use serde_json::{Value, json};
    let days = |n: u32| json!({"unit": "working_days", "value": n});
    let wall = |m: u32| json!({"unit": "wall_minutes", "value": m});
    let cat = |code: &str, zh: &str, en: &str, children: Value| json!({"code": code, "name_zh": zh, "name_en": en, "children": children});
    let types = [
        (
            "consult",
            json!({"name_zh": "咨询", "name_en": "Consultation", "callback_required": false,
            "categories": [cat("billing", "水费水价", "Bills and tariffs", json!([])),
                           cat("outage", "停水信息", "Planned outages", json!([])),
                           cat("business", "业务办理", "How to apply", json!([]))],
            "policies": [{"resolve": days(3), "warn_percent": 80}]}),
        ),
        (
            "complaint",
            json!({"name_zh": "投诉", "name_en": "Complaint", "callback_required": true,
            "categories": [cat("attitude", "服务态度", "Staff attitude", json!([])),
                           cat("billing", "水费异议", "Disputed bill", json!([])),
                           cat("delay", "维修不及时", "Repair too slow", json!([])),
                           cat("quality", "水质问题", "Water quality", json!([]))],
            "policies": [{"resolve": days(13), "first_action": days(1), "warn_percent": 80},
                         {"segment": "large_account", "resolve": days(5),
                          "first_action": json!({"unit": "working_minutes", "value": 120}),
                          "warn_percent": 70}]}),
        ),
        (
            "repair",
            json!({"name_zh": "报修", "name_en": "Repair", "callback_required": true,
            "categories": [
                cat("leak", "漏水", "Leak", json!([
                    cat("main", "主管爆裂", "Burst main", json!([])),
                    cat("meter_box", "表井漏水", "Leaking meter box", json!([]))])),
                cat("no_water", "无水", "No water", json!([])),
                cat("pressure", "水压低", "Low pressure", json!([])),
                cat("meter", "水表故障", "Faulty meter", json!([
                    cat("fast", "走得快", "Runs fast", json!([])),
                    cat("stopped", "停走", "Stopped", json!([]))]))],
            "fields": [
                {"key": "meter_no", "label_zh": "表号", "label_en": "Meter number", "kind": "text"},
                {"key": "visit", "label_zh": "上门时段", "label_en": "Visit window", "kind": "choice",
                 "options": ["上午 morning", "下午 afternoon", "全天 any time"]}],
            "policies": [{"accept": wall(30), "first_action": wall(120), "resolve": wall(24 * 60),
                          "warn_percent": 75},
                         {"segment": "large_account", "accept": wall(15), "first_action": wall(60),
                          "resolve": wall(12 * 60), "warn_percent": 75}]}),
        ),
        (
            "install",
            json!({"name_zh": "报装", "name_en": "Installation", "callback_required": true,
            "fields": [{"key": "usage", "label_zh": "用水性质", "label_en": "Use", "kind": "choice",
                        "options": ["居民 household", "非居民 business"]}],
            "policies": [{"resolve": days(10), "warn_percent": 80}]}),
        ),
        (
            "service",
            json!({"name_zh": "服务申请", "name_en": "Service request", "callback_required": false,
            "categories": [cat("transfer", "过户", "Change of owner", json!([])),
                           cat("stop", "停水申请", "Stop supply", json!([]))],
            "policies": [{"resolve": days(5), "warn_percent": 80}]}),
        ),
        (
            "suggestion",
            json!({"name_zh": "建议", "name_en": "Suggestion", "callback_required": false,
            "policies": [{"resolve": days(15), "warn_percent": 80}]}),
        ),
        (
            "praise",
            json!({"name_zh": "表扬", "name_en": "Praise", "callback_required": false}),
        ),
    ];
    let scoped = store.scoped(tenant);
    for (key, t) in types {
        scoped
            .put_config("order_type", key, &t, None, now_ms, None)
            .await?;
    }
    let lead = ids.get("banzhang").copied();
    let person = |name: &str| ids.get(name).copied().into_iter().collect::<Vec<_>>();
    let crew = [person("weixiu"), person("houtai")].concat();
    let groups = [
        (
            "backoffice",
            json!({"name": "客服后台 Back office", "kind": "back_office",
            "members": person("houtai"), "lead": lead,
            "handles": [{"order_type": "consult"}, {"order_type": "complaint"},
                        {"order_type": "install"}, {"order_type": "service"},
                        {"order_type": "suggestion"}]}),
        ),
        (
            "crew-xihu",
            json!({"name": "西湖区维修班 Xihu crew", "kind": "crew",
            "members": person("weixiu"), "lead": lead,
            "handles": [{"order_type": "repair", "region": "浙江省/杭州市/西湖区"}]}),
        ),
        (
            "crew-city",
            json!({"name": "市区维修队 City crew", "kind": "crew",
            "members": crew, "lead": lead,
            "handles": [{"order_type": "repair", "region": "浙江省/杭州市"},
                        {"order_type": "repair"}]}),
        ),
        (
            "experts",
            json!({"name": "二线专家 Experts", "kind": "expert",
            "members": person("expert"), "lead": lead,
            "handles": [{"order_type": "complaint", "category": "quality"}]}),
        ),
    ];
    for (key, g) in groups {
        scoped
            .put_config("handling_group", key, &g, None, now_ms, None)
            .await?;
    }
    Ok(())
}

/// Queues, the IVR flow and the agents with extensions.
async fn seed_telephony(
    store: &Store,
    tenant: store::TenantId,
    takers: &[(store::UserId, u32)],
    now_ms: i64,
) -> Result<(), StoreError> {
    use serde_json::json;
    for (key, name) in DEMO_QUEUES {
        store
            .scoped(tenant)
            .put_config("skill", key, &json!({"name": name}), None, now_ms, None)
            .await?;
        let queue = json!({
            "name": name,
            "skills": [],
            "relax": [],
            "service_level": 0.8,
            "service_time": 20.0,
            "wrap_up": 10.0,
            "ring_timeout": if *key == "callback" { 60.0 } else { 20.0 },
            "announce": {"every": 30.0},
        });
        store
            .scoped(tenant)
            .put_config("queue", key, &queue, None, now_ms, None)
            .await?;
    }
    store
        .scoped(tenant)
        .put_config(
            "ivr_flow",
            "main",
            &json!({"name": "96332 主流程 Main", "flow": demo_flow()}),
            None,
            now_ms,
            None,
        )
        .await?;
    store
        .scoped(tenant)
        .put_config(
            "ivr_flow",
            app::config::SURVEY_FLOW,
            &json!({"name": "满意度调查 Survey", "flow": survey_flow()}),
            None,
            now_ms,
            None,
        )
        .await?;
    // Business hours with China's statutory holidays, for the administrator to attach to
    // queues and flows; the demo's queues answer at any hour so it can be tried at night.
    let day = || json!(["08:00-20:00"]);
    store
        .scoped(tenant)
        .put_config(
            "calendar",
            "hours",
            &json!({"name": "营业时间 Business hours", "time_zone": "Asia/Shanghai",
                    "cn_statutory": true,
                    "weekly": [day(), day(), day(), day(), day(), ["09:00-17:00"], []],
                    "holidays": [], "workdays": [], "special": []}),
            None,
            now_ms,
            None,
        )
        .await?;
    let queues: Vec<&str> = DEMO_QUEUES.iter().map(|(k, _)| *k).collect();
    for ext in DEMO_EXTENSIONS {
        let secret = format!("secret{ext}");
        let hash = crate::auth::hash_password(&secret).map_err(|e| StoreError::Invalid {
            field: "password",
            reason: e.message,
        })?;
        let user = store
            .create_user(
                &NewUser {
                    tenant: Some(tenant),
                    username: format!("agent{ext}"),
                    display_name: format!("座席 {ext}"),
                    role: Role::Agent,
                    password_hash: hash,
                },
                now_ms,
            )
            .await?;
        seed_profile(store, tenant, user.id, ext, &queues, now_ms).await?;
    }
    // The named demo users who take calls (agents, the team lead, the expert) have a
    // profile too, so each can sign in from the desktop.
    for (user, ext) in takers {
        seed_profile(store, tenant, *user, *ext, &queues, now_ms).await?;
    }
    Ok(())
}

/// A routing profile on extension `ext` (SIP password `secret<ext>`) serving `queues`.
async fn seed_profile(
    store: &Store,
    tenant: store::TenantId,
    user: store::UserId,
    ext: u32,
    queues: &[&str],
    now_ms: i64,
) -> Result<(), StoreError> {
    let secret = format!("secret{ext}");
    let sip = app::config::SipSecret::new(&ext.to_string(), "demo.hotline.local", &secret);
    let profile = serde_json::json!({
        "extension": ext.to_string(),
        "sip_secret": sip,
        "skills": [],
        "queues": queues,
    });
    store
        .scoped(tenant)
        .put_config("agent", &user.0.to_string(), &profile, None, now_ms, None)
        .await?;
    Ok(())
}

/// `n` plausible customers of a Hangzhou water utility, the same every time.
pub fn demo_customers(n: usize) -> Vec<CustomerData> {
    const SURNAMES: &[&str] = &[
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
        "郭",
    ];
    const GIVEN: &[&str] = &[
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
        "明", "超", "秀英", "建华", "志强",
    ];
    const DISTRICTS: &[&str] = &[
        "上城区",
        "拱墅区",
        "西湖区",
        "滨江区",
        "萧山区",
        "余杭区",
        "临平区",
        "钱塘区",
    ];
    const ROADS: &[&str] = &[
        "文三路",
        "天目山路",
        "解放路",
        "延安路",
        "江南大道",
        "莫干山路",
        "庆春路",
        "建国北路",
    ];
    (0..n)
        .map(|i| {
            let segment = match i % 20 {
                0 => Segment::LargeAccount,
                1 => Segment::Vulnerable,
                2 => Segment::Special,
                3 if i % 60 == 3 => Segment::Abnormal,
                _ => Segment::General,
            };
            let mut phones = vec![CustomerPhone {
                number: format!("+86138{:08}", 57_100_000 + i * 7919 % 9_000_000),
                label: "mobile".into(),
            }];
            if i % 4 == 0 {
                phones.push(CustomerPhone {
                    number: format!("+86571{:08}", 86_000_000 + i * 131),
                    label: "home".into(),
                });
            }
            CustomerData {
                name: if segment == Segment::LargeAccount {
                    format!(
                        "杭州{}{}有限公司",
                        ROADS[i % ROADS.len()].trim_end_matches('路'),
                        ["食品", "酒店", "纺织", "印染"][i % 4]
                    )
                } else {
                    format!(
                        "{}{}",
                        SURNAMES[i % SURNAMES.len()],
                        GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
                    )
                },
                phones,
                emails: if i % 5 == 0 {
                    vec![format!("customer{i}@example.com")]
                } else {
                    vec![]
                },
                addresses: vec![Address {
                    province: "浙江省".into(),
                    city: "杭州市".into(),
                    district: DISTRICTS[i % DISTRICTS.len()].into(),
                    line: format!("{}{}号", ROADS[(i / 3) % ROADS.len()], 1 + i % 300),
                    label: "installation".into(),
                }],
                segment,
                level: if segment == Segment::LargeAccount {
                    5
                } else {
                    1 + (i % 4) as u8
                },
                qualification: if i % 7 == 0 {
                    "pending".into()
                } else {
                    "verified".into()
                },
                id_number: (i % 3 == 0)
                    .then(|| format!("330106{:08}{:04}", 19_600_101 + (i % 40) * 10_000, 1000 + i)),
                blacklisted: i == 13,
                blacklist_reason: if i == 13 {
                    "多次恶意骚扰来电 repeated abusive calls".into()
                } else {
                    String::new()
                },
                notes: String::new(),
            }
        })
        .collect()
}
