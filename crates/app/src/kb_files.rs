//! Pictures in knowledge articles (issue 24): an article's body is text with a little
//! markup (`# heading`, `- item`, `**bold**`, and `![what it shows](/api/kb/images/{name})`),
//! its pictures files under the data directory, `kb/{tenant}/{name}`. A picture is checked by
//! its bytes (JPEG, PNG or WebP), written whole (a temporary name, flushed, renamed) and named
//! by a random name; an article that names a missing picture shows its description instead.
//! What `kill -9` can leave is a picture no article names, never the reverse.

use std::path::PathBuf;

use store::TenantId;
use tickets::FileKind;
use tickets::attachment::check_name;

use crate::{App, AppError, AppResult, random_hex};

/// The largest picture, in bytes.
pub const MAX_IMAGE_BYTES: usize = 5 << 20;

/// Where an article's body points to its pictures.
pub const IMAGE_PATH: &str = "/api/kb/images/";

/// A picture's name as kept: 16 hex digits and its kind's extension.
pub fn image_name_ok(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 16
        && stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && matches!(ext, "jpg" | "png" | "webp")
}

/// The media type a picture's name says (its bytes were checked when it came).
pub fn image_mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

/// An article's text as searched and as SMS and the IVR take it: pictures as what they
/// show, the markup's marks gone.
pub fn plain_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("![") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find("](").and_then(|close| {
            let end = after[close + 2..].find(')')?;
            Some((close, close + 2 + end))
        }) {
            Some((close, end)) if !after[..close].contains('\n') => {
                out.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("![");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.lines()
        .map(|l| {
            let l = l.trim_start();
            let l = l.trim_start_matches('#').trim_start();
            let l = l.strip_prefix("- ").unwrap_or(l);
            l.replace("**", "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl App {
    fn kb_dir(&self, tenant: TenantId) -> AppResult<PathBuf> {
        let root = self.0.files.get().ok_or_else(|| {
            AppError::InvalidState("files cannot be kept: no data directory is set".into())
        })?;
        Ok(root.join("kb").join(tenant.0.to_string()))
    }

    /// Keeps a picture for articles: checked by its bytes before anything is written; its
    /// name (`3f2a….png`) for the article's `![…](/api/kb/images/{name})`.
    pub async fn save_kb_image(
        &self,
        tenant: TenantId,
        name: &str,
        bytes: &[u8],
    ) -> AppResult<String> {
        let name = check_name(name).map_err(|r| AppError::invalid("name", r))?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(AppError::invalid(
                "file",
                format!("at most {} MB", MAX_IMAGE_BYTES >> 20),
            ));
        }
        let ext = match FileKind::of(&name, bytes) {
            Ok(FileKind::Jpeg) => "jpg",
            Ok(FileKind::Png) => "png",
            Ok(FileKind::Webp) => "webp",
            Ok(_) => return Err(AppError::invalid("file", "a picture: JPEG, PNG or WebP")),
            Err(r) => return Err(AppError::invalid("file", r)),
        };
        let dir = self.kb_dir(tenant)?;
        let kept = format!("{}.{ext}", random_hex(16));
        let tmp = dir.join(format!(".{kept}.tmp"));
        let written = async {
            use tokio::io::AsyncWriteExt;
            tokio::fs::create_dir_all(&dir).await?;
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(bytes).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, dir.join(&kept)).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(AppError::Internal(format!("a picture was not kept: {e}")));
        }
        Ok(kept)
    }

    /// A picture of the tenant's articles, by the name it was given.
    pub async fn kb_image(&self, tenant: TenantId, name: &str) -> AppResult<Vec<u8>> {
        if !image_name_ok(name) {
            return Err(AppError::NotFound("picture"));
        }
        // No data directory: nothing was ever kept.
        let path = self
            .kb_dir(tenant)
            .map_err(|_| AppError::NotFound("picture"))?
            .join(name);
        tokio::fs::read(&path)
            .await
            .map_err(|_| AppError::NotFound("picture"))
    }

    /// A picture the public may see: one a published public article holding today shows.
    pub async fn public_kb_image(&self, tenant: TenantId, name: &str) -> AppResult<Vec<u8>> {
        if !image_name_ok(name) {
            return Err(AppError::NotFound("picture"));
        }
        let needle = format!("{IMAGE_PATH}{name}");
        let ids = self
            .store()
            .scoped(tenant)
            .kb_articles_naming(&needle, 20)
            .await?;
        for id in ids {
            if self.public_article(tenant, id).await.is_ok() {
                return self.kb_image(tenant, name).await;
            }
        }
        Err(AppError::NotFound("picture"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_and_marks_leave_the_searched_text() {
        assert_eq!(
            plain_text(
                "# 关阀门\n- 先关**总阀**\n![总阀的位置](/api/kb/images/0123456789abcdef.png)再报修"
            ),
            "关阀门\n先关总阀\n总阀的位置再报修"
        );
        assert_eq!(plain_text("![没有结尾"), "![没有结尾");
        assert_eq!(plain_text("a ![x\n](y) b"), "a ![x\n](y) b");
        assert!(image_name_ok("0123456789abcdef.png"));
        for bad in [
            "../etc/passwd",
            "0123456789ABCDEF.png",
            "0123456789abcdef.exe",
            "0123.png",
            "",
        ] {
            assert!(!image_name_ok(bad), "{bad}");
        }
    }
}
