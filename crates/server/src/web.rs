//! The web app: the files Vite built (`web/dist`), gzipped on the way out. Any path that is
//! not a file is the app's own route (`/desktop`, `/floor`), so it gets `index.html`. The
//! hashed files under `assets/` never change and are cached for a year; `index.html` is
//! checked every time, so a new build is picked up at the next load.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(dir: &Path) -> Router {
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .fallback_service(files)
        .layer(CompressionLayer::new())
        .layer(from_fn(cache_control))
}

async fn cache_control(req: Request<Body>, next: Next) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}
