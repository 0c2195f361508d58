//! Tests generated from the route table: every endpoint, whatever it is.

use std::fmt::Write;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::perm::{Perm, allows};
use server::routes::{Endpoint, table};
use store::Role;

use crate::{B_MARKER, World, fill, fill_body, on_both};

fn tenant_routes() -> Vec<Endpoint> {
    table()
        .into_iter()
        .filter(|e| e.perm.is_some_and(Perm::tenant_scoped))
        .collect()
}

/// A user of tenant A asking for tenant B's ids gets 404, on every route that takes an id;
/// a listing never shows B's rows.
#[test]
fn tenant_isolation_over_every_route() {
    on_both(|w: World| async move {
        let mut checked = 0;
        for e in tenant_routes() {
            // The tenant administrator where they may, else the first role that may (an
            // agent, for what only agents do).
            let perm = e.perm.unwrap();
            let role = [Role::TenantAdmin]
                .into_iter()
                .chain(Role::ALL)
                .find(|r| *r != Role::PlatformAdmin && allows(*r, perm))
                .unwrap();
            let token = w.token(&w.a.users[&role]).await;
            let body = e.example.as_ref().map(|b| fill_body(b, &w.b));
            let (status, resp) = if e.path.contains('{') {
                let path = fill(e.path, &w.b);
                let r = w.call(e.method.clone(), &path, Some(&token), body).await;
                assert_eq!(
                    r.0,
                    StatusCode::NOT_FOUND,
                    "{e:?} with tenant B's ids: {}",
                    r.1
                );
                assert_eq!(r.1["code"], "not_found", "{e:?}");
                r
            } else {
                // Without ids: B's data must not show (and a write lands in A).
                let body = e.example.as_ref().map(|b| fill_body(b, &w.a));
                w.call(e.method.clone(), e.path, Some(&token), body).await
            };
            let text = resp.to_string();
            assert!(
                !text.contains(B_MARKER),
                "{e:?} leaked tenant B's data ({status}): {text}"
            );
            checked += 1;
        }
        assert!(checked >= 15, "only {checked} routes checked");
        // And B's data is still all there.
        let token = w.token(&w.b.users[&Role::TenantAdmin]).await;
        let (s, v) = w
            .call(Method::GET, "/api/customers", Some(&token), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    });
}

/// Which roles may call which endpoint, as enforced: rendered as a table and compared with
/// `role_matrix.txt`, so a change of policy shows in review. `UPDATE_EXPECT=1` rewrites it.
#[test]
fn role_matrix() {
    on_both(|w: World| async move {
        let mut rendered = String::from("endpoint");
        for r in Role::ALL {
            write!(rendered, " | {}", r.as_str()).unwrap();
        }
        rendered.push('\n');
        for e in table().into_iter().filter(|e| e.perm.is_some()) {
            let perm = e.perm.unwrap();
            write!(rendered, "{} {}", e.method, e.path).unwrap();
            for role in Role::ALL {
                let (user, fixture) = match role {
                    Role::PlatformAdmin => (&w.platform_admin, &w.a),
                    r => (&w.a.users[&r], &w.a),
                };
                let token = w.token(user).await;
                let path = fill(e.path, fixture);
                let body = e.example.as_ref().map(|b| fill_body(b, fixture));
                let (status, resp) = w.call(e.method.clone(), &path, Some(&token), body).await;
                let denied = status == StatusCode::FORBIDDEN && resp["code"] == "forbidden";
                let expected =
                    allows(role, perm) && (!perm.tenant_scoped() || role != Role::PlatformAdmin);
                assert_eq!(
                    !denied,
                    expected,
                    "{e:?} as {}: {status} {resp}",
                    role.as_str()
                );
                assert_ne!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{e:?} as {}",
                    role.as_str()
                );
                assert!(
                    !status.is_server_error(),
                    "{e:?} as {}: {status} {resp}",
                    role.as_str()
                );
                rendered.push_str(if denied { " | -" } else { " | ✓" });
            }
            rendered.push('\n');
        }
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/role_matrix.txt");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(file, &rendered).unwrap();
        }
        let expected = std::fs::read_to_string(file).unwrap_or_default();
        assert_eq!(
            rendered, expected,
            "the role matrix changed; review it and rerun with UPDATE_EXPECT=1"
        );
    });
}

/// Without a session every endpoint but login and the document says 401 in the API's
/// error format.
#[test]
fn every_protected_route_needs_a_session() {
    on_both(|w: World| async move {
        for e in table().into_iter().filter(|e| e.perm.is_some()) {
            let path = fill(e.path, &w.a);
            let body = e.example.as_ref().map(|b| fill_body(b, &w.a));
            let (s, v) = w.call(e.method.clone(), &path, None, body.clone()).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
                "{e:?}"
            );
            let (s, _) = w
                .call(e.method.clone(), &path, Some("not-a-token"), body)
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{e:?}");
        }
    });
}

/// Every endpoint that takes a body: malformed JSON, a missing field and a wrong type are
/// 400s naming the field, and nothing is written (no event, no audit entry, no row).
#[test]
fn bad_bodies_are_refused_naming_the_field_and_write_nothing() {
    on_both(|w: World| async move {
        // A business system's webhook is authenticated by the body's signature, so an
        // unsigned body is a 401 whatever it holds; its signed bad bodies are in `orders`.
        let signed = |e: &Endpoint| e.path.starts_with("/api/hooks/");
        for e in table()
            .into_iter()
            .filter(|e| e.example.is_some() && !signed(e))
        {
            // Someone allowed to call it: the tenant administrator where they may, else the
            // first tenant role that may, else the platform administrator.
            let role = match e.perm {
                None => Some(Role::TenantAdmin),
                Some(p) => [Role::TenantAdmin]
                    .into_iter()
                    .chain(Role::ALL)
                    .find(|r| *r != Role::PlatformAdmin && allows(*r, p)),
            };
            let token = match role {
                Some(r) => w.token(&w.a.users[&r]).await,
                None => w.token(&w.platform_admin).await,
            };
            let path = fill(e.path, &w.a);
            let example = fill_body(e.example.as_ref().unwrap(), &w.a);
            // Not JSON.
            let req = axum::http::Request::builder()
                .method(e.method.clone())
                .uri(&path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap();
            let resp = tower::ServiceExt::oneshot(w.app.clone(), req)
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::BAD_REQUEST,
                "{e:?} with malformed JSON"
            );
            // Each required field left out in turn, and each field given the wrong type.
            for (field, _) in example.as_object().unwrap() {
                let mut without = example.clone();
                without.as_object_mut().unwrap().remove(field);
                let (s, v) = call_checked(&w, &e, &path, &token, without).await;
                if s == StatusCode::BAD_REQUEST {
                    assert_eq!(v["code"], "invalid_input", "{e:?} without {field}: {v}");
                    assert!(
                        v["details"]["field"].is_string(),
                        "{e:?} without {field}: {v}"
                    );
                }
                assert!(!s.is_server_error(), "{e:?} without {field}: {s} {v}");
                let mut wrong = example.clone();
                wrong[field] = if example[field].is_string() {
                    json!(12345)
                } else {
                    json!("not-a-valid-value")
                };
                let (s, v) = call_checked(&w, &e, &path, &token, wrong).await;
                assert_eq!(
                    s,
                    StatusCode::BAD_REQUEST,
                    "{e:?} with {field} of the wrong type: {v}"
                );
                assert_eq!(
                    v["details"]["field"]
                        .as_str()
                        .unwrap()
                        .split(['.', '['])
                        .next(),
                    Some(field.as_str()),
                    "{e:?}: {v}"
                );
            }
            // An unknown field is refused rather than silently dropped.
            let mut extra = example.clone();
            extra["no_such_field"] = json!(1);
            let (s, v) = call_checked(&w, &e, &path, &token, extra).await;
            assert_eq!(
                s,
                StatusCode::BAD_REQUEST,
                "{e:?} with an unknown field: {v}"
            );
        }
    });
}

/// Calls, and checks that a refused call (4xx) wrote nothing.
async fn call_checked(
    w: &World,
    e: &Endpoint,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let before = snapshot(w).await;
    let (s, v) = w
        .call(e.method.clone(), path, Some(token), Some(body.clone()))
        .await;
    if s == StatusCode::ACCEPTED {
        // Work accepted for the background (an import): let it finish before the next call
        // is judged by what it wrote.
        let status = path.trim_end_matches("/commit");
        for _ in 0..500 {
            let (_, job) = w.call(Method::GET, status, Some(token), None).await;
            if job["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    if s.is_client_error() {
        let mut after = snapshot(w).await;
        // A call the contact policy refuses is audited (issue 25): that row and nothing else.
        if v["details"].get("contact_policy").is_some() {
            after.1 -= 1;
        }
        assert_eq!(
            after, before,
            "{e:?} refused {body} ({s} {v}) but wrote something"
        );
    }
    (s, v)
}

/// Counts of what a request could write.
async fn snapshot(w: &World) -> (usize, usize, usize, usize) {
    w.state.events().flush().await.unwrap();
    let mut n = (0, 0, 0, 0);
    for f in [&w.a, &w.b] {
        n.0 += w
            .store
            .scoped(f.tenant.id)
            .events_after(0, 10_000)
            .await
            .unwrap()
            .len();
        n.1 += w
            .store
            .audit_entries(Some(f.tenant.id), None, 10_000)
            .await
            .unwrap()
            .len();
        let q = store::CustomerQuery {
            limit: 10_000,
            include_merged: true,
            ..Default::default()
        };
        n.2 += w
            .store
            .scoped(f.tenant.id)
            .customers(&q)
            .await
            .unwrap()
            .len();
        n.3 += w.store.scoped(f.tenant.id).users().await.unwrap().len();
    }
    n.3 += w.store.tenants().await.unwrap().len();
    n
}

/// The OpenAPI document describes every route in the table, and nothing else.
#[test]
fn the_openapi_document_covers_the_route_table() {
    on_both(|w: World| async move {
        let (s, doc) = w.call(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        let mut documented: Vec<String> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        documented.sort();
        let mut routed: Vec<String> = table()
            .iter()
            .filter(|e| e.path != "/api/openapi.json")
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        routed.sort();
        assert_eq!(documented, routed);
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        // Every parameter of a path is declared (found by the API fuzzer: clients cannot
        // call what they cannot fill in).
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for name in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
                    let declared = op["parameters"].as_array().is_some_and(|ps| {
                        ps.iter().any(|p| p["name"] == name && p["in"] == "path")
                    });
                    assert!(declared, "{method} {path}: `{name}` is not declared");
                }
            }
        }
    });
}

/// The web app's types are generated from the OpenAPI document (`web/openapi.json`, then
/// `npm run api` in `web/`); this fails when the committed copy is not the document the
/// server serves. `UPDATE_EXPECT=1` rewrites it — then regenerate the web app's types.
#[test]
fn the_web_apps_copy_of_the_openapi_document_is_current() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/openapi.json");
    let now = format!("{}\n", server::openapi_json());
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(file, &now).unwrap();
    }
    // Operation ids name the generated client's functions: one each.
    let doc: serde_json::Value = serde_json::from_str(&now).unwrap();
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "operation ids repeat: {ids:?}");
    let committed = std::fs::read_to_string(file).unwrap_or_default();
    assert!(
        committed == now,
        "web/openapi.json is not the server's OpenAPI document: run \
         `UPDATE_EXPECT=1 cargo test -p server --test it the_web_apps_copy`, then \
         `npm run api` in web/"
    );
}
