//! Logging in and out: cookies and CSRF, bearer tokens, lockout, seats, passwords.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use store::Role;
use tower::ServiceExt;

use crate::{PASSWORD, World, on_both};

async fn login(
    w: &World,
    tenant: Option<&str>,
    user: &str,
    password: &str,
    mode: &str,
) -> (StatusCode, Value, Vec<String>) {
    login_with(w, tenant, user, password, mode, None).await
}

/// A login, from `client` as the server's listener would see it if given.
async fn login_with(
    w: &World,
    tenant: Option<&str>,
    user: &str,
    password: &str,
    mode: &str,
    client: Option<std::net::SocketAddr>,
) -> (StatusCode, Value, Vec<String>) {
    let body = json!({ "tenant": tenant, "username": user, "password": password, "mode": mode });
    let mut req = Request::post("/api/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    if let Some(addr) = client {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let resp = w.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap(), cookies)
}

async fn with_cookie(
    w: &World,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = w.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn a_browser_session_is_an_http_only_cookie_and_changes_need_the_csrf_token() {
    on_both(|w: World| async move {
        let (s, info, cookies) = login(&w, Some("water"), "supervisor", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK, "{info}");
        assert_eq!(info["user"]["role"], "supervisor");
        assert_eq!(info["tenant"]["slug"], "water");
        assert!(
            info["permissions"]
                .as_array()
                .unwrap()
                .contains(&json!("view_customers"))
        );
        assert!(info["token"].is_null());
        let session = cookies
            .iter()
            .find(|c| c.starts_with("hotline_session="))
            .unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        let cookie = session.split(';').next().unwrap().to_string();
        let csrf = info["csrf_token"].as_str().unwrap().to_string();

        let (s, me) = with_cookie(&w, Method::GET, "/api/auth/session", &cookie, None, None).await;
        assert_eq!(
            (s, me["user"]["username"].as_str()),
            (StatusCode::OK, Some("supervisor"))
        );
        let customer = json!({ "name": "王五", "phones": [{"number": "13700000000"}] });
        let (s, v) = with_cookie(
            &w,
            Method::POST,
            "/api/customers",
            &cookie,
            None,
            Some(customer.clone()),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf_failed"))
        );
        let (s, _) = with_cookie(
            &w,
            Method::POST,
            "/api/customers",
            &cookie,
            Some("forged"),
            Some(customer.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = with_cookie(
            &w,
            Method::POST,
            "/api/customers",
            &cookie,
            Some(&csrf),
            Some(customer),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // Logout ends the session; the cookie is cleared.
        let (s, _) = with_cookie(
            &w,
            Method::POST,
            "/api/auth/logout",
            &cookie,
            Some(&csrf),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = with_cookie(&w, Method::GET, "/api/auth/session", &cookie, None, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
    });
}

#[test]
fn api_clients_log_in_for_a_bearer_token_which_is_not_a_cookie() {
    on_both(|w: World| async move {
        let (s, info, cookies) = login(&w, Some("water"), "back-office", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        assert!(cookies.is_empty());
        let token = info["token"].as_str().unwrap();
        let (s, v) = w
            .call(
                Method::POST,
                "/api/customers",
                Some(token),
                Some(json!({"name": "接口客户"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // A bearer token presented as a cookie is not a session.
        let (s, _) = with_cookie(
            &w,
            Method::GET,
            "/api/auth/session",
            &format!("hotline_session={token}"),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // A token cannot mint tokens; a browser session can.
        let body = json!({"label": "CRM", "days": 7});
        let (s, v) = w
            .call(
                Method::POST,
                "/api/auth/tokens",
                Some(token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_state"))
        );
        let (_, info, cookies) = login(&w, Some("water"), "back-office", PASSWORD, "cookie").await;
        let cookie = cookies[0].split(';').next().unwrap().to_string();
        let csrf = info["csrf_token"].as_str().unwrap();
        let (s, t) = with_cookie(
            &w,
            Method::POST,
            "/api/auth/tokens",
            &cookie,
            Some(csrf),
            Some(body),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(
            t["expires_at_ms"].as_i64().unwrap(),
            crate::START_MS + 7 * 86_400_000
        );
        let (s, _) = w
            .call(Method::GET, "/api/auth/session", t["token"].as_str(), None)
            .await;
        assert_eq!(s, StatusCode::OK);
    });
}

/// A bearer login to tenant `water` from a given client address.
async fn login_from(w: &World, ip: [u8; 4], user: &str, password: &str) -> (StatusCode, Value) {
    let client = std::net::SocketAddr::from((ip, 40_000));
    let (status, v, _) = login_with(w, Some("water"), user, password, "bearer", Some(client)).await;
    (status, v)
}

/// Found by `hotline bench calls`: a center's agents all log in from behind one NAT.
#[test]
fn issue_4_a_shift_logging_in_from_one_address_is_not_rate_limited_but_guessing_is() {
    on_both(|w: World| async move {
        let office = [10, 0, 0, 1];
        for _ in 0..40 {
            let (s, v) = login_from(&w, office, "agent", PASSWORD).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // Guesses from one address are limited (30 a minute), whatever the account.
        let attacker = [10, 0, 0, 66];
        let mut limited = None;
        for i in 0..40 {
            let (s, v) = login_from(&w, attacker, &format!("guess{i}"), "wrong-password").await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(v["code"], "rate_limited", "{v}");
                limited = Some(i);
                break;
            }
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        }
        assert_eq!(limited, Some(30));
        // The office is not affected.
        let (s, _) = login_from(&w, office, "agent", PASSWORD).await;
        assert_eq!(s, StatusCode::OK);
    });
}

#[test]
fn repeated_failures_lock_the_account_for_a_while() {
    on_both(|w: World| async move {
        for left in (1..5).rev() {
            let (s, v, _) = login(&w, Some("water"), "agent", "wrong-password", "bearer").await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
            );
            assert_eq!(v["details"]["attempts_left"], left);
        }
        let (s, v, _) = login(&w, Some("water"), "agent", "wrong-password", "bearer").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("account_locked")),
            "{v}"
        );
        // Locked: even the right password is refused, with how long to wait.
        let (s, v, _) = login(&w, Some("water"), "agent", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        assert!(v["message"].as_str().unwrap().contains("15 min"), "{v}");
        // Another account is not affected; an unknown one answers like a wrong password.
        let (s, _, _) = login(&w, Some("water"), "expert", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        let (s, v, _) = login(&w, Some("nowhere"), "agent", PASSWORD, "bearer").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
        );
        w.advance(15 * 60 * 1000);
        let (s, _, _) = login(&w, Some("water"), "agent", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
    });
}

#[test]
fn the_login_past_the_seat_quota_is_refused_with_a_clear_message() {
    on_both(|w: World| async move {
        // Tenant B rents 2 seats; seats are held by the browser sessions of agents.
        for i in 0..3 {
            w.as_b_admin_creates_agent(&format!("seat{i}")).await;
        }
        let (s, a0, cookies) = login(&w, Some("gas"), "seat0", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK);
        let cookie0 = cookies[0].split(';').next().unwrap().to_string();
        let (s, _, _) = login(&w, Some("gas"), "seat1", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK);
        let (s, v, _) = login(&w, Some("gas"), "seat2", PASSWORD, "cookie").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("seats_full")),
            "{v}"
        );
        assert!(
            v["message"].as_str().unwrap().contains("all 2 seats"),
            "{v}"
        );
        // Supervisors hold no seat, nor do API tokens.
        let (s, _, _) = login(&w, Some("gas"), "supervisor", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, _) = login(&w, Some("gas"), "seat2", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        // The same agent again takes no second seat; logging out frees one.
        let (s, _, _) = login(&w, Some("gas"), "seat0", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK);
        let csrf = a0["csrf_token"].as_str().unwrap();
        let (s, _) = with_cookie(
            &w,
            Method::POST,
            "/api/auth/logout",
            &cookie0,
            Some(csrf),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _, _) = login(&w, Some("gas"), "seat2", PASSWORD, "cookie").await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "seat0 still has its second session"
        );
        // The platform rents the tenant a third seat (bad input names the field).
        let (_, root, _) = login(&w, None, "root", PASSWORD, "bearer").await;
        let path = format!("/api/tenants/{}", w.b.tenant.id.0);
        let (s, v) = w
            .call(
                Method::PATCH,
                &path,
                root["token"].as_str(),
                Some(json!({"seat_quota": -1})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v.to_string().contains("seat_quota"), "{v}");
        let (s, t) = w
            .call(
                Method::PATCH,
                &path,
                root["token"].as_str(),
                Some(json!({"seat_quota": 3})),
            )
            .await;
        assert_eq!(
            (s, t["seat_quota"].as_u64()),
            (StatusCode::OK, Some(3)),
            "{t}"
        );
        let (s, _, _) = login(&w, Some("gas"), "seat2", PASSWORD, "cookie").await;
        assert_eq!(s, StatusCode::OK, "the third seat is there");
        let missing = w
            .call(
                Method::PATCH,
                "/api/tenants/999999",
                root["token"].as_str(),
                Some(json!({"seat_quota": 3})),
            )
            .await;
        assert_eq!(missing.0, StatusCode::NOT_FOUND);
    });
}

impl World {
    async fn as_b_admin_creates_agent(&self, name: &str) {
        let token = self.token(&self.b.users[&Role::TenantAdmin]).await;
        let body = json!({ "username": name, "display_name": name, "role": "agent", "password": PASSWORD });
        let (s, v) = self
            .call(Method::POST, "/api/users", Some(&token), Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

#[test]
fn changing_a_password_ends_the_other_sessions() {
    on_both(|w: World| async move {
        let (_, first, _) = login(&w, Some("water"), "agent", PASSWORD, "bearer").await;
        let (_, second, _) = login(&w, Some("water"), "agent", PASSWORD, "bearer").await;
        let t1 = first["token"].as_str();
        let body = json!({ "current_password": "nope-nope", "new_password": "a-new-password" });
        let (s, v) = w
            .call(Method::POST, "/api/auth/password", t1, Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("current_password"))
        );
        let body = json!({ "current_password": PASSWORD, "new_password": "short" });
        let (s, v) = w
            .call(Method::POST, "/api/auth/password", t1, Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("new_password"))
        );
        let body = json!({ "current_password": PASSWORD, "new_password": "a-new-password" });
        let (s, _) = w
            .call(Method::POST, "/api/auth/password", t1, Some(body))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            w.call(Method::GET, "/api/auth/session", t1, None).await.0,
            StatusCode::OK
        );
        assert_eq!(
            w.call(
                Method::GET,
                "/api/auth/session",
                second["token"].as_str(),
                None
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        let (s, _, _) = login(&w, Some("water"), "agent", "a-new-password", "bearer").await;
        assert_eq!(s, StatusCode::OK);
    });
}

#[test]
fn deactivating_a_user_ends_their_sessions_and_is_audited() {
    on_both(|w: World| async move {
        let agent = &w.a.users[&Role::Agent];
        let agent_token = w.token(agent).await;
        let path = format!("/api/users/{}", agent.id.0);
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PATCH,
                &path,
                Some(json!({"version": 1, "active": false})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["version"], 2);
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PATCH,
                &path,
                Some(json!({"version": 1, "display_name": "旧"})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("version_conflict"))
        );
        assert_eq!(v["details"]["current_version"], 2);
        assert_eq!(
            w.call(Method::GET, "/api/auth/session", Some(&agent_token), None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        let first = &audit[0];
        assert_eq!(first["action"], "user.update");
        assert_eq!(first["actor_id"], w.a.users[&Role::TenantAdmin].id.0);
        // An administrator cannot lock themself out.
        let me = &w.a.users[&Role::TenantAdmin];
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PATCH,
                &format!("/api/users/{}", me.id.0),
                Some(json!({"version": 1, "active": false})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    });
}

#[test]
fn the_platform_admin_creates_tenants_but_sees_no_customers() {
    on_both(|w: World| async move {
        let (s, info, _) = login(&w, None, "root", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        let token = info["token"].as_str();
        let body = json!({ "slug": "power", "name": "电力热线", "seat_quota": 40, "sip_domain": "power.example",
                           "numbers": ["95598", "0571-9559 8000"],
                           "admin": { "username": "admin", "display_name": "管理员", "password": PASSWORD } });
        let (s, t) = w
            .call(Method::POST, "/api/tenants", token, Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(
            (t["time_zone"].as_str(), t["locale"].as_str()),
            (Some("Asia/Shanghai"), Some("zh-CN"))
        );
        let (s, v) = w
            .call(Method::POST, "/api/tenants", token, Some(body))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists"))
        );
        let (s, _, _) = login(&w, Some("power"), "admin", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        // The numbers callers dial reach it, normalised; another tenant cannot take them.
        let path = format!("/api/tenants/{}/numbers", t["id"]);
        let (_, n) = w.call(Method::GET, &path, token, None).await;
        assert_eq!(n["numbers"], json!(["+8657195598000", "95598"]));
        let other = format!("/api/tenants/{}/numbers", w.a.tenant.id.0);
        let (s, v) = w
            .call(
                Method::PUT,
                &other,
                token,
                Some(json!({"numbers": ["95598"]})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists")),
            "{v}"
        );
        let (s, v) = w
            .call(
                Method::PUT,
                &other,
                token,
                Some(json!({"numbers": ["abc"]})),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("numbers[0]"))
        );
        let (s, _) = w.call(Method::GET, "/api/customers", token, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, audit) = w.call(Method::GET, "/api/audit", token, None).await;
        assert_eq!(audit[0]["action"], "tenant.create");
        // A bad administrator password creates no tenant.
        let body = json!({ "slug": "half", "name": "半", "seat_quota": 1, "sip_domain": "half.example",
                           "admin": { "username": "admin", "display_name": "管理员", "password": "short" } });
        let (s, v) = w
            .call(Method::POST, "/api/tenants", token, Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("admin.password"))
        );
        assert!(w.store.tenant_by_slug("half").await.unwrap().is_none());
        // Review of issue 3: a bad administrator name used to leave the tenant half made.
        let body = json!({ "slug": "half", "name": "半", "seat_quota": 1, "sip_domain": "half.example",
                           "admin": { "username": "li lei", "display_name": "李雷", "password": PASSWORD } });
        let (s, v) = w
            .call(Method::POST, "/api/tenants", token, Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("admin.username"))
        );
        assert!(w.store.tenant_by_slug("half").await.unwrap().is_none());
    });
}

/// Issue 21: the platform's operator suspends a tenant: its users are logged out and cannot
/// log in (told why once the password is right), its phones cannot register; resumed, they
/// can. The usage page counts what it uses.
#[test]
fn issue_21_a_suspended_tenant_cannot_log_in_until_resumed() {
    on_both(|w: World| async move {
        let (_, root, _) = login(&w, None, "root", PASSWORD, "bearer").await;
        let root = root["token"].as_str().unwrap().to_string();
        let (_, agent, _) = login(&w, Some("gas"), "agent", PASSWORD, "bearer").await;
        let agent = agent["token"].as_str().unwrap().to_string();
        // The agent's phone has a password (kept as HA1) and registers.
        let board = app::switchboard::Switchboard(w.state.app().clone());
        let domain = w.b.tenant.sip_domain.clone();
        let (_, admin, _) = login(&w, Some("gas"), "tenant-admin", PASSWORD, "bearer").await;
        let profile = format!("/api/agents/{}/profile", w.b.users[&Role::Agent].id.0);
        let (_, doc) = w
            .call(Method::GET, &profile, admin["token"].as_str(), None)
            .await;
        let (s, v) = w
            .call(
                Method::PUT,
                &profile,
                admin["token"].as_str(),
                Some(json!({
                "version": doc["version"], "extension": "8001", "sip_password": "sip-secret-2",
                "queues": doc["data"]["queues"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            telephony::App::extension(&board, &domain, "8001")
                .await
                .is_some(),
            "registers"
        );
        // The agent is signed in to the queues when the tenant is suspended.
        let (s, v) = w
            .call(Method::POST, "/api/me/agent/login", Some(&agent), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let path = format!("/api/tenants/{}", w.b.tenant.id.0);
        let (s, t) = w
            .call(
                Method::PATCH,
                &path,
                Some(&root),
                Some(json!({"suspended": true})),
            )
            .await;
        assert_eq!(
            (s, t["suspended"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{t}"
        );
        let (s, _) = w
            .call(Method::GET, "/api/auth/session", Some(&agent), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "the session ended");
        let live = w.state.app().floor_live(w.b.tenant.id).await.unwrap();
        assert!(
            live.agents
                .iter()
                .all(|a| matches!(a.state, None | Some(acd::AgentState::Offline))),
            "every agent signed out"
        );
        let (s, e, _) = login(&w, Some("gas"), "agent", PASSWORD, "bearer").await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("tenant_suspended")),
            "{e}"
        );
        let (s, e, _) = login(&w, Some("gas"), "agent", "wrong-password", "bearer").await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "a wrong password learns nothing: {e}"
        );
        // The other tenant works on.
        let (s, _, _) = login(&w, Some("water"), "agent", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            telephony::App::extension(&board, &domain, "8001")
                .await
                .is_none(),
            "no registration"
        );
        let (s, u) = w
            .call(Method::GET, &format!("{path}/usage"), Some(&root), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert!(u["users"].as_u64().unwrap() > 0, "{u}");
        let (s, t) = w
            .call(
                Method::PATCH,
                &path,
                Some(&root),
                Some(json!({"suspended": false})),
            )
            .await;
        assert_eq!(
            (s, t["suspended"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{t}"
        );
        let (s, _, _) = login(&w, Some("gas"), "agent", PASSWORD, "bearer").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            telephony::App::extension(&board, &domain, "8001")
                .await
                .is_some(),
            "registers again"
        );
        // The operator moves it to another SIP domain (not one another tenant has).
        let taken = w.a.tenant.sip_domain.clone();
        let (s, e) = w
            .call(
                Method::PATCH,
                &path,
                Some(&root),
                Some(json!({"sip_domain": taken})),
            )
            .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists")),
            "{e}"
        );
        let (s, t) = w
            .call(
                Method::PATCH,
                &path,
                Some(&root),
                Some(json!({"sip_domain": "gas-new.example", "name": "长".repeat(101)})),
            )
            .await;
        assert_eq!(
            (s, e_field(&t)),
            (StatusCode::BAD_REQUEST, Some("name".to_string())),
            "{t}"
        );
        let (s, t) = w
            .call(
                Method::PATCH,
                &path,
                Some(&root),
                Some(json!({"sip_domain": "gas-new.example"})),
            )
            .await;
        assert_eq!(
            (s, t["sip_domain"].as_str()),
            (StatusCode::OK, Some("gas-new.example")),
            "{t}"
        );
    });
}

fn e_field(v: &Value) -> Option<String> {
    v["details"]["field"].as_str().map(str::to_string)
}
