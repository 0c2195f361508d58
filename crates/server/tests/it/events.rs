//! Live events over a real WebSocket, resumed after a reconnect without loss.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::Role;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::{World, on_both};

async fn next_event(
    ws: &mut (
             impl futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
             + Unpin
         ),
) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), futures_util::StreamExt::next(ws))
            .await
            .expect("an event within 10 s")
            .expect("the stream is open")
            .expect("a message");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[test]
fn events_stream_live_and_resume_after_a_reconnect() {
    on_both(|w: World| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::run(listener, w.state.clone(), async {
            stopped.await.ok();
        }));
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let connect = |after: i64| {
            let mut req = format!("ws://{addr}/api/events?after={after}")
                .into_client_request()
                .unwrap();
            req.headers_mut()
                .insert("authorization", format!("Bearer {agent}").parse().unwrap());
            tokio_tungstenite::connect_async(req)
        };
        let (mut ws, _) = connect(0).await.unwrap();
        let create = |name: &'static str| {
            w.as_a(
                Role::Agent,
                Method::POST,
                "/api/customers",
                Some(json!({ "name": name })),
            )
        };
        let (s, c1) = create("第一位").await;
        assert_eq!(s, StatusCode::CREATED);
        let e1 = next_event(&mut ws).await;
        assert_eq!(e1["kind"], "customer.created");
        assert_eq!(e1["payload"]["customer_id"], c1["id"]);
        drop(ws);

        // Events while disconnected are delivered on resume, and nothing before `after`.
        let (_, c2) = create("第二位").await;
        let (_, c3) = create("第三位").await;
        w.state.events().flush().await.unwrap();
        let (mut ws, _) = connect(e1["seq"].as_i64().unwrap()).await.unwrap();
        let e2 = next_event(&mut ws).await;
        let e3 = next_event(&mut ws).await;
        assert_eq!(e2["payload"]["customer_id"], c2["id"]);
        assert_eq!(e3["payload"]["customer_id"], c3["id"]);
        assert!(e3["seq"].as_i64() > e2["seq"].as_i64());

        // Without a session, no stream.
        let req = format!("ws://{addr}/api/events")
            .into_client_request()
            .unwrap();
        assert!(tokio_tungstenite::connect_async(req).await.is_err());
        // Tenant B's events never reach tenant A (B's marker event is in the log).
        let (_, page) = w
            .as_a(Role::Supervisor, Method::GET, "/api/events/log", None)
            .await;
        assert!(!page.to_string().contains(crate::B_MARKER));
        assert!(page.as_array().unwrap().len() >= 3);
        drop(ws);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    });
}

/// Issue 20: a WebSocket opened from another site's page (riding on the user's cookies) is
/// refused; one from the center's own pages, or from a client that is not a browser, is
/// not.
#[test]
fn issue_20_a_websocket_from_another_site_is_refused() {
    on_both(|w: World| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::run(listener, w.state.clone(), async {
            stopped.await.ok();
        }));
        let lead = w.token(&w.a.users[&Role::Supervisor]).await;
        let open = |path: &str, origin: Option<String>| {
            let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
            req.headers_mut()
                .insert("authorization", format!("Bearer {lead}").parse().unwrap());
            if let Some(o) = origin {
                req.headers_mut().insert("origin", o.parse().unwrap());
            }
            tokio_tungstenite::connect_async(req)
        };
        for path in ["/api/events", "/api/floor/live"] {
            let refused = open(path, Some("https://evil.example".into())).await;
            match refused {
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}")
                }
                other => panic!("{path}: {:?}", other.map(|_| ())),
            }
            assert!(
                open(path, Some(format!("http://{addr}"))).await.is_ok(),
                "{path}"
            );
            assert!(open(path, None).await.is_ok(), "{path}");
        }
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    });
}

/// Issue 20: the web app's pages carry a content security policy, refuse framing and
/// content-type sniffing.
#[test]
fn issue_20_the_web_app_carries_security_headers() {
    store::testing::on_both(|store, _| async move {
        let dir = std::env::temp_dir().join(format!("hotline-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>坐席</title>").unwrap();
        let settings = server::Settings {
            web_dir: Some(dir.clone()),
            ..server::Settings::default()
        };
        let app = server::app(server::AppState::new(
            store,
            server::Clock::System,
            settings,
        ));
        let req = axum::http::Request::get("/desktop")
            .body(axum::body::Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(app, req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        std::fs::remove_dir_all(&dir).ok();
    });
}

/// Issue 20: live connections are bounded — at most eight per user (the ninth gets 429),
/// a client sending more than ten messages a second is cut off (1008), and a message over
/// 16 KiB closes the socket — so one session cannot tie up the server.
#[test]
fn issue_20_websockets_are_bounded_per_user_in_rate_and_in_size() {
    on_both(|w: World| async move {
        use futures_util::{SinkExt, StreamExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::run(listener, w.state.clone(), async {
            stopped.await.ok();
        }));
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let connect = || {
            let mut req = format!("ws://{addr}/api/events?after=-1")
                .into_client_request()
                .unwrap();
            req.headers_mut()
                .insert("authorization", format!("Bearer {agent}").parse().unwrap());
            tokio_tungstenite::connect_async(req)
        };
        let mut open = Vec::new();
        for _ in 0..8 {
            open.push(connect().await.expect("within the cap").0);
        }
        match connect().await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS)
            }
            other => panic!("a ninth connection: {:?}", other.map(|_| ())),
        }
        // Closing one frees its place.
        let mut chatty = open.pop().unwrap();
        chatty.close(None).await.ok();
        drop(chatty);
        let mut chatty = {
            let mut again = None;
            for _ in 0..100 {
                if let Ok((ws, _)) = connect().await {
                    again = Some(ws);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            again.expect("a place again once one closed")
        };
        for i in 0..30 {
            if chatty
                .send(Message::Text(format!("{i}").into()))
                .await
                .is_err()
            {
                break;
            }
        }
        let closed = loop {
            match tokio::time::timeout(Duration::from_secs(10), chatty.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => break frame,
                Ok(Some(Ok(_))) => continue,
                other => panic!("expected a close: {other:?}"),
            }
        };
        assert_eq!(u16::from(closed.expect("a reason").code), 1008);
        // Too big a message.
        let mut big = open.pop().unwrap();
        let _ = big.send(Message::Text("x".repeat(64 * 1024).into())).await;
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match big.next().await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "an oversized message ends the connection");
        drop(open);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    });
}
