//! The server's tests, through the real router (`oneshot`, no socket) on both backends, and
//! one real-socket test for the WebSocket. The generated tests in `generated.rs` walk the
//! route table, so a new endpoint is covered without anyone writing a test for it.

mod agents;
mod auth;
mod calls;
mod customers;
mod events;
mod floor;
mod generated;
mod imports;
mod kb;
mod leads;
mod ops;
mod orders;
mod reports;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use server::{AppState, Clock, Settings};
use store::{
    CustomerData, CustomerId, CustomerPhone, NewEvent, NewTenant, NewUser, Role, Session,
    SessionKind, Store, Tenant, User,
};
use tower::ServiceExt;

pub const PASSWORD: &str = "secret-password";
pub const START_MS: i64 = 1_780_000_000_000;
/// Everything tenant B (gas) has carries this, so a listing that leaks it is caught.
pub const B_MARKER: &str = "GAS-ONLY";

/// One tenant's fixtures: a user of every role, customers, a merge.
#[derive(Debug)]
pub struct Fixture {
    pub tenant: Tenant,
    pub users: HashMap<Role, User>,
    pub customer: CustomerId,
    pub other_customer: CustomerId,
    pub merge_id: i64,
    /// An uploaded spreadsheet, not committed.
    pub import_id: u64,
    /// Two work orders, dispatched to the fixture's group.
    pub order: i64,
    pub other_order: i64,
    /// A saved report (yesterday by queue), never produced.
    pub saved_report: i64,
    pub article: i64,
    /// An open question for the experts.
    pub kb_task: i64,
    /// A lead of the fixture's customer, with the center (no dealer serves a region yet).
    pub lead: i64,
    /// An open contact topic of the fixture's customer (a due payment).
    pub topic: i64,
}

#[allow(missing_debug_implementations)]
pub struct World {
    pub app: Router,
    pub state: AppState,
    pub store: Store,
    pub clock: Arc<AtomicI64>,
    pub platform_admin: User,
    /// Tenant A, `water`, 24 seats.
    pub a: Fixture,
    /// Tenant B, `gas`, 2 seats; its names and events carry [`B_MARKER`].
    pub b: Fixture,
}

/// Runs `test` with a fresh world on SQLite, then on PostgreSQL.
pub fn on_both<F, Fut>(test: F)
where
    F: Fn(World) -> Fut,
    Fut: Future<Output = ()>,
{
    store::testing::on_both(|store, _url| async {
        let world = World::new(store, Settings::default()).await;
        let state = world.state.clone();
        test(world).await;
        state.events().flush().await.ok();
    });
}

impl World {
    pub async fn new(store: Store, settings: Settings) -> World {
        let clock = Arc::new(AtomicI64::new(START_MS));
        let state = AppState::new(store.clone(), Clock::Manual(clock.clone()), settings);
        let hash = server::hash_password(PASSWORD).unwrap();
        let platform_admin = store
            .create_user(
                &NewUser {
                    tenant: None,
                    username: "root".into(),
                    display_name: "平台管理员".into(),
                    role: Role::PlatformAdmin,
                    password_hash: hash.clone(),
                },
                START_MS,
            )
            .await
            .unwrap();
        let a = fixture(&store, &hash, "water", "自来水热线", 24, "").await;
        let b = fixture(&store, &hash, "gas", "燃气热线", 2, B_MARKER).await;
        store
            .append_events(&[NewEvent {
                tenant: b.tenant.id,
                id: "marker".into(),
                at_ms: START_MS,
                kind: "test.marker".into(),
                payload: json!({ "note": B_MARKER }),
                order: None,
                lead: None,
            }])
            .await
            .unwrap();
        let mut world = World {
            app: server::app(state.clone()),
            state,
            store,
            clock,
            platform_admin,
            a,
            b,
        };
        for tenant in [0, 1] {
            let f = if tenant == 0 { &world.a } else { &world.b };
            let token = world.token(&f.users[&Role::TenantAdmin]).await;
            let csv = format!("姓名,手机\n导入客户{B_MARKER},13700000009\n");
            let (s, v) = world
                .call_raw(
                    Method::POST,
                    "/api/customers/imports?filename=a.csv",
                    &token,
                    csv.into_bytes(),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let id = v["id"].as_u64().unwrap();
            if tenant == 0 {
                world.a.import_id = id;
            } else {
                world.b.import_id = id;
            }
        }
        for tenant in [0, 1] {
            let f = if tenant == 0 { &world.a } else { &world.b };
            let mut ids = Vec::new();
            for title in ["表井漏水", "水压低"] {
                let intake = tickets::Intake {
                    order_type: format!("{}-type", f.tenant.slug),
                    title: format!("{title}{}", if tenant == 1 { B_MARKER } else { "" }),
                    customer_id: Some(f.customer.0),
                    caller: Some("+8613812345678".into()),
                    region: "浙江省/杭州市/西湖区".into(),
                    ..tickets::Intake::default()
                };
                // Taken in through the API by a business system: nobody's own event.
                let v = world
                    .state
                    .app()
                    .create_order(f.tenant.id, None, intake, false)
                    .await
                    .unwrap();
                ids.push(v.row.id);
            }
            let f = if tenant == 0 {
                &mut world.a
            } else {
                &mut world.b
            };
            (f.order, f.other_order) = (ids[0], ids[1]);
            let spec = app::saved_reports::ReportSpec {
                dim: "queue".into(),
                by: "day".into(),
                metrics: vec!["offered".into()],
                keys: Vec::new(),
                range: ::reports::RelativeRange::Yesterday,
                from: None,
                to: None,
                format: "xlsx".into(),
                schedule: None,
            };
            let name = format!("日报{}", if tenant == 1 { B_MARKER } else { "" });
            let saved = world
                .state
                .app()
                .save_report(f.tenant.id, f.users[&Role::Supervisor].id, &name, &spec)
                .await
                .unwrap();
            f.saved_report = saved.row.id;
            // A published article (tenant B's marked, so a leak shows).
            let article = app::kb::ArticleInput {
                title: format!(
                    "水表计量异常的处理{}",
                    if tenant == 1 { B_MARKER } else { "" }
                ),
                category: "水表/计量".into(),
                doc: app::kb::ArticleDoc {
                    body: "用户反映水表走得快时，先请用户关闭所有用水点。".into(),
                    ..app::kb::ArticleDoc::default()
                },
                ..app::kb::ArticleInput::default()
            };
            let a = world
                .state
                .app()
                .save_article(
                    f.tenant.id,
                    None,
                    &article,
                    ::kb::Status::Published,
                    f.users[&Role::Expert].id,
                    true,
                )
                .await
                .unwrap();
            f.article = a.id;
            let t = world
                .state
                .app()
                .ask_experts(
                    f.tenant.id,
                    f.users[&Role::Agent].id,
                    &app::kb_work::TaskInput {
                        kind: "question".into(),
                        text: format!(
                            "水表井盖丢了谁负责？{}",
                            if tenant == 1 { B_MARKER } else { "" }
                        ),
                        ..app::kb_work::TaskInput::default()
                    },
                )
                .await
                .unwrap();
            f.kb_task = t.id;
            let lead = world
                .state
                .app()
                .capture_lead(
                    f.tenant.id,
                    None,
                    "api",
                    app::leads::LeadInput {
                        customer_id: Some(f.customer.0),
                        product_line: "挖掘机".into(),
                        region: "浙江省/杭州市/西湖区".into(),
                        notes: format!("想要20吨级{}", if tenant == 1 { B_MARKER } else { "" }),
                        ..app::leads::LeadInput::default()
                    },
                )
                .await
                .unwrap();
            f.lead = lead.row.id;
            f.topic = world
                .state
                .app()
                .add_contact_topic(
                    f.tenant.id,
                    app::contact_tasks::NewTopic {
                        customer: f.customer,
                        kind: "payment".into(),
                        department: "billing".into(),
                        subject: format!(
                            "水费欠缴 86 元{}",
                            if tenant == 1 { B_MARKER } else { "" }
                        ),
                        not_before_ms: None,
                        call_id: None,
                    },
                    None,
                )
                .await
                .unwrap();
        }
        world
    }

    /// Sends raw bytes (an uploaded file).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/octet-stream")
            .body(Body::from(body))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::Relaxed);
    }

    /// A fresh bearer token for `user`, made directly in the store (no password hashing).
    pub async fn token(&self, user: &User) -> String {
        let secret = format!("t{}", rand_suffix());
        self.store
            .create_session(
                &Session {
                    token_hash: server::token_hash(&secret),
                    user: user.id,
                    tenant: user.tenant,
                    kind: SessionKind::Bearer,
                    csrf: "unused".into(),
                    label: "test".into(),
                    created_at_ms: START_MS,
                    expires_at_ms: START_MS + 10 * 86_400_000,
                },
                None,
                START_MS,
            )
            .await
            .unwrap();
        secret
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    /// Calls as a user of `role` in tenant A.
    pub async fn as_a(
        &self,
        role: Role,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = self.token(&self.a.users[&role]).await;
        self.call(method, path, Some(&token), body).await
    }
}

async fn fixture(
    store: &Store,
    hash: &str,
    slug: &str,
    name: &str,
    seats: u32,
    marker: &str,
) -> Fixture {
    let tenant = store
        .create_tenant(
            &NewTenant::new(
                slug,
                &format!("{name}{marker}"),
                seats,
                &format!("{slug}.example"),
            ),
            START_MS,
        )
        .await
        .unwrap();
    let mut users = HashMap::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::PlatformAdmin) {
        let u = store
            .create_user(
                &NewUser {
                    tenant: Some(tenant.id),
                    username: role.as_str().replace('_', "-"),
                    display_name: format!("{}{marker}", role.as_str()),
                    role,
                    password_hash: hash.into(),
                },
                START_MS,
            )
            .await
            .unwrap();
        users.insert(role, u);
    }
    let person = |n: &str, number: &str| CustomerData {
        name: format!("{n}{marker}"),
        phones: vec![CustomerPhone {
            number: number.into(),
            label: "mobile".into(),
        }],
        level: 3,
        qualification: "verified".into(),
        ..CustomerData::default()
    };
    // The same number in both tenants: the screen pop must find only the caller's tenant's.
    let created = store
        .scoped(tenant.id)
        .create_customers(
            &[
                person("张伟", "+8613812345678"),
                person("李娜", "+8613900000001"),
                person("李娜(重复)", "+8613900000001"),
            ],
            START_MS,
        )
        .await
        .unwrap();
    let (merge_id, _) = store
        .scoped(tenant.id)
        .merge_customers(created[1].id, created[2].id, None, START_MS)
        .await
        .unwrap();
    // Configuration under keys only this tenant has: a skill, a queue, a team, and the
    // agent's routing profile.
    let put = |kind: &'static str, key: String, data: Value| {
        let store = store.clone();
        async move {
            store
                .scoped(tenant.id)
                .put_config(kind, &key, &data, None, START_MS, None)
                .await
                .unwrap()
        }
    };
    put(
        "skill",
        format!("{slug}-skill"),
        json!({ "name": format!("报修{marker}") }),
    )
    .await;
    put(
        "queue",
        format!("{slug}-queue"),
        json!({ "name": format!("报修热线{marker}"), "skills": [{"skill": format!("{slug}-skill"), "min": 1}] }),
    )
    .await;
    put(
        "calendar",
        format!("{slug}-calendar"),
        json!({ "name": format!("全天{marker}"), "weekly": [["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"],
                ["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"], ["00:00-24:00"]] }),
    )
    .await;
    put(
        "ivr_flow",
        format!("{slug}-flow"),
        json!({ "name": format!("主菜单{marker}"), "flow": {"start": "q", "nodes": {
            "q": {"type": "queue", "queue": format!("{slug}-queue")}}} }),
    )
    .await;
    put(
        "team",
        format!("{slug}-team"),
        json!({ "name": format!("早班{marker}"), "members": [] }),
    )
    .await;
    put(
        "order_type",
        format!("{slug}-type"),
        json!({ "name_zh": format!("报修{marker}"), "name_en": "Repairs", "callback_required": true,
                "policies": [{"resolve": {"unit": "working_days", "value": 3}, "warn_percent": 80}] }),
    )
    .await;
    put(
        "integration",
        format!("{slug}-billing"),
        json!({ "name": format!("营业系统{marker}"), "secret": format!("{slug}-secret-of-at-least-32-characters") }),
    )
    .await;
    put(
        "incident",
        format!("{slug}-burst"),
        json!({ "title": format!("爆管{marker}"), "message": "文三路停水，预计18点恢复。",
                "regions": ["江苏省/南京市"], "starts_ms": 0, "expected_end_ms": 4_102_444_800_000i64 }),
    )
    .await;
    put(
        "handling_group",
        format!("{slug}-group"),
        json!({ "name": format!("维修一班{marker}"), "kind": "crew",
                "members": [users[&Role::BackOffice].id.0], "lead": users[&Role::Supervisor].id.0,
                "handles": [{"order_type": format!("{slug}-type")}] }),
    )
    .await;
    let agent = &users[&Role::Agent];
    put(
        "agent",
        agent.id.0.to_string(),
        json!({ "extension": "8001", "sip_password": "sip-secret-1",
                "skills": [{"skill": format!("{slug}-skill"), "proficiency": 5}],
                "queues": [format!("{slug}-queue")] }),
    )
    .await;
    Fixture {
        tenant,
        users,
        customer: created[0].id,
        other_customer: created[1].id,
        merge_id,
        import_id: 0,
        order: 0,
        other_order: 0,
        saved_report: 0,
        article: 0,
        kb_task: 0,
        lead: 0,
        topic: 0,
    }
}

fn rand_suffix() -> String {
    static N: AtomicI64 = AtomicI64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `{customer_id}` and friends filled in from a fixture.
pub fn fill(template: &str, f: &Fixture) -> String {
    let mut out = template.to_string();
    for (name, value) in [
        ("{customer_id}", f.customer.0.to_string()),
        ("{other_customer_id}", f.other_customer.0.to_string()),
        ("{user_id}", f.users[&Role::Agent].id.0.to_string()),
        ("{tenant_id}", f.tenant.id.0.to_string()),
        ("{merge_id}", f.merge_id.to_string()),
        ("{import_id}", f.import_id.to_string()),
        ("{department}", "service".to_string()),
        ("{skill_key}", format!("{}-skill", f.tenant.slug)),
        ("{queue_key}", format!("{}-queue", f.tenant.slug)),
        ("{team_key}", format!("{}-team", f.tenant.slug)),
        ("{calendar_key}", format!("{}-calendar", f.tenant.slug)),
        ("{flow_key}", format!("{}-flow", f.tenant.slug)),
        ("{call_id}", format!("{}-no-such-call", f.tenant.slug)),
        ("{order_id}", f.order.to_string()),
        ("{other_order_id}", f.other_order.to_string()),
        ("{order_type_key}", format!("{}-type", f.tenant.slug)),
        ("{group_key}", format!("{}-group", f.tenant.slug)),
        ("{integration_key}", format!("{}-billing", f.tenant.slug)),
        ("{incident_key}", format!("{}-burst", f.tenant.slug)),
        ("{file_id}", "1".to_string()),
        ("{saved_id}", f.saved_report.to_string()),
        ("{article_id}", f.article.to_string()),
        ("{task_id}", f.kb_task.to_string()),
        ("{lead_id}", f.lead.to_string()),
        ("{topic_id}", f.topic.to_string()),
        ("{image_name}", "0123456789abcdef.png".to_string()),
        ("{tenant_slug}", f.tenant.slug.clone()),
    ] {
        out = out.replace(name, &value);
    }
    assert!(
        !out.contains('{'),
        "no fixture for a parameter in {template}: add one to `fill`"
    );
    out
}

/// An example body with its id placeholders filled in (numbers where the placeholder is the
/// whole string).
pub fn fill_body(v: &Value, f: &Fixture) -> Value {
    match v {
        Value::String(s) if s.starts_with('{') => {
            let filled = fill(s, f);
            filled
                .parse::<i64>()
                .map_or(Value::String(filled), Value::from)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_body(x, f)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), fill_body(x, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}
