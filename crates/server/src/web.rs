//! The web app: the files Vite built (`web/dist`), gzipped on the way out. Any path that is
//! not a file is the app's own route (`/desktop`, `/floor`), so it gets `index.html`. The
//! hashed files under `assets/` never change and are cached for a year; `index.html` is
//! checked every time, so a new build is picked up at the next load. Every response carries
//! a content security policy, no framing and no content-type sniffing.

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
        .layer(from_fn(headers))
}

/// What the app's pages may load and who may frame them: only this site, no framing, no
/// guessing of content types (the app has no inline scripts; Element Plus sets inline
/// styles; a call's recording is played from the bytes fetched, a `blob:`).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
                   frame-ancestors 'none'";

async fn headers(req: Request<Body>, next: Next) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
