//! Issue 20: what operators watch — health, readiness, `/metrics` — and a routing engine
//! that fails being restarted from the log with its agents, with an alert.

use axum::http::{Method, StatusCode};
use server::Settings;
use store::Role;

use crate::World;

fn with_metrics_token(test: impl AsyncFn(World)) {
    store::testing::on_both(|store, _url| async {
        let settings = Settings {
            metrics_token: Some("scrape-me".into()),
            ..Settings::default()
        };
        let world = World::new(store, settings).await;
        let state = world.state.clone();
        test(world).await;
        state.events().flush().await.ok();
    });
}

#[test]
fn issue_20_health_readiness_and_metrics_for_operators_only() {
    with_metrics_token(async |w: World| {
        let (s, v) = w.call(Method::GET, "/healthz", None, None).await;
        assert_eq!((s, v.as_str()), (StatusCode::OK, Some("ok\n")));
        let (s, v) = w.call(Method::GET, "/readyz", None, None).await;
        assert_eq!((s, v.as_str()), (StatusCode::OK, Some("ready\n")));
        // A stranger (not the loopback address, no token) and a tenant's user: refused.
        let (s, _) = w.call(Method::GET, "/metrics", None, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let admin = w.token(&w.a.users[&Role::TenantAdmin]).await;
        let (s, _) = w.call(Method::GET, "/metrics", Some(&admin), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = w
            .call(Method::GET, "/metrics", Some("scrape-me"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let text = v.as_str().unwrap();
        for name in [
            "hotline_calls_in_progress 0",
            "# TYPE hotline_event_log_set_aside_total counter",
            "hotline_center_restarts_total 0",
            "hotline_sip_auth_failures_total 0",
            "hotline_rtp_stranger_packets_total 0",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    });
}

/// Before, a panic in a tenant's engine was swallowed: its task ended, its agents were
/// signed out without a word. Now it is started again from the log — the agent still
/// signed in — the floor shows an alert, the log has it, and `/metrics` counts it.
#[test]
fn issue_20_a_failed_engine_is_restarted_from_the_log_with_an_alert() {
    with_metrics_token(async |w: World| {
        let (s, v) = w
            .as_a(Role::Agent, Method::POST, "/api/me/agent/login", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let failed = w
            .state
            .center(w.a.tenant.id, |_| panic!("a bug in a test"))
            .await;
        assert!(
            failed.is_err(),
            "the failed job gets an error, not an answer"
        );
        let (s, floor) = w
            .as_a(Role::Supervisor, Method::GET, "/api/floor", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{floor}");
        assert!(
            floor["alert"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("a bug in a test")),
            "{floor}"
        );
        let me = w.a.users[&Role::Agent].id.0;
        let agent = floor["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["user_id"] == me)
            .cloned()
            .unwrap_or_default();
        assert_eq!(agent["state"], "ready", "signed in again: {floor}");
        w.state.events().flush().await.unwrap();
        let restarted = w
            .store
            .scoped(w.a.tenant.id)
            .events_of_kind("center.restarted", 0, i64::MAX, &[], 10)
            .await
            .unwrap();
        assert_eq!(restarted.len(), 1);
        assert_eq!(restarted[0].payload["agents"], 1);
        let (_, v) = w
            .call(Method::GET, "/metrics", Some("scrape-me"), None)
            .await;
        let text = v.as_str().unwrap();
        assert!(text.contains("hotline_center_restarts_total 1"), "{text}");
        assert!(
            text.contains("hotline_agents{tenant=\"water\",state=\"ready\"} 1"),
            "{text}"
        );
        // The other tenant never noticed.
        let (s, _) = w
            .call(
                Method::GET,
                "/api/floor",
                Some(&w.token(&w.b.users[&Role::Supervisor]).await),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    });
}

/// Issue 20: requests are bounded before memory is spent on them — a body over 2 MiB gets
/// 413 naming the limit, headers over what the server reads get 431, a login's names and
/// password have lengths (the login guard keys on them) — each with a clear answer.
#[test]
fn issue_20_bodies_headers_and_logins_are_bounded() {
    with_metrics_token(async |w: World| {
        let big = serde_json::json!({ "name": "x".repeat(3 << 20) });
        let (s, v) = w
            .as_a(Role::Agent, Method::POST, "/api/customers", Some(big))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
            "{v}"
        );
        let login = serde_json::json!({
            "tenant": "water", "username": "u".repeat(500), "password": "p", "mode": "bearer"
        });
        let (s, v) = w
            .call(Method::POST, "/api/auth/login", None, Some(login))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("username")),
            "{v}"
        );
        // Headers, over a real connection.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::run(listener, w.state.clone(), async {
            stopped.await.ok();
        }));
        let answer = |request: String| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let _ = s.write_all(request.as_bytes()).await;
            let mut buf = vec![0; 256];
            let n = s.read(&mut buf).await.unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).to_string()
        };
        let ok =
            answer("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into()).await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let huge = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "h".repeat(1 << 20)
        );
        let refused = answer(huge).await;
        assert!(refused.starts_with("HTTP/1.1 431"), "{refused}");
        let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
        let refused = answer(format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"
        ))
        .await;
        assert!(refused.starts_with("HTTP/1.1 431"), "{refused}");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    });
}

/// Issue 20: behind a TLS proxy (it says so with `X-Forwarded-Proto: https`, or the center
/// is started with `--behind-tls`) the session cookies are `Secure`; over plain HTTP they
/// are not (a browser would drop them).
#[test]
fn issue_20_cookies_are_secure_behind_tls() {
    with_metrics_token(async |w: World| {
        use axum::body::Body;
        use axum::http::Request;
        use tower::ServiceExt;
        let login = |proto: Option<&'static str>| {
            let mut req =
                Request::post("/api/auth/login").header("content-type", "application/json");
            if let Some(p) = proto {
                req = req.header("x-forwarded-proto", p);
            }
            let body = serde_json::json!({
                "tenant": "water", "username": "agent", "password": crate::PASSWORD
            });
            let req = req.body(Body::from(body.to_string())).unwrap();
            let app = w.app.clone();
            async move { app.oneshot(req).await.unwrap() }
        };
        let cookies = |r: &axum::response::Response| {
            r.headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let plain = login(None).await;
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(
            cookies(&plain).iter().all(|c| !c.contains("Secure")),
            "{:?}",
            cookies(&plain)
        );
        let proxied = login(Some("https")).await;
        assert_eq!(proxied.status(), StatusCode::OK);
        let set = cookies(&proxied);
        assert!(
            set.len() >= 2 && set.iter().all(|c| c.contains("; Secure")),
            "{set:?}"
        );
    });
}
