//! The one mechanism every kind of configuration goes through: list, create, update and
//! delete with a version; checked without side effects (against the store and the running
//! engine), written with its audit row in one transaction, then applied to the running
//! engine — no restart. Each kind of document ([`crate::config`]) says only what is its
//! own: its name, its checks, how it applies, what it refers to.

use std::future::Future;

use store::{ConfigItem, Role, TenantId, UserId};

use crate::center::{Center, agent_id};
use crate::config::{
    Agent, Calendar, CenterSettings, Document, IvrFlow, Queue, Skill, Team, check_settings,
    not_empty, parse,
};
use crate::{App, AppError, AppResult};

/// One kind of configuration document: its name in the store, and how it is checked and
/// applied. The mechanism ([`App::put_config`], [`App::delete_config`]) is written once.
pub trait Kind: Document + Clone + Send + Sync + 'static {
    /// Checks that need the store (users exist, other documents' keys). No side effects.
    fn check_stored(
        &self,
        _app: &App,
        _tenant: TenantId,
        _key: &str,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// Checks against the running center, without changing what it runs.
    fn check(&self, _key: &str, _c: &Center) -> AppResult<()> {
        Ok(())
    }

    /// Applies the written document to the running center.
    fn apply(self, _key: &str, _c: &mut Center) -> AppResult<()> {
        Ok(())
    }

    /// Fills in what an update may leave out from the document it replaces.
    fn keep_from(&mut self, _old: &Self) {}

    /// Turns secrets into what is kept of them (a SIP password into its HA1), just before
    /// the document is checked against the engine and written.
    fn seal(
        &mut self,
        _app: &App,
        _tenant: TenantId,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// What the audit row keeps of the document: all of it but secrets.
    fn audited(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Checks that need the store before the document `key` may be deleted (beyond other
    /// documents naming it).
    fn check_delete(
        _app: &App,
        _tenant: TenantId,
        _key: &str,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// Whether this document names the document `kind`/`key` (a queue its skills, a flow
    /// its queues): such a document cannot be deleted while this one names it.
    fn refers_to(&self, _kind: &str, _key: &str) -> bool {
        false
    }

    /// The running center forgets the deleted document; refuses if it cannot yet.
    fn forget(_key: &str, _c: &mut Center) -> AppResult<()> {
        Ok(())
    }
}

impl App {
    /// Seals SIP passwords stored in clear (by a version before passwords were kept as
    /// HA1): each becomes its HA1 and the password is gone. Run at start; returns how many.
    pub async fn seal_sip_passwords(&self) -> AppResult<usize> {
        let mut sealed = 0;
        for tenant in self.store().tenants().await? {
            let scoped = self.store().scoped(tenant.id);
            for item in scoped.config_items(Agent::KIND).await? {
                let Ok(mut doc) = parse::<Agent>(&item) else {
                    continue;
                };
                let Some(password) = doc.sip_password.take() else {
                    continue;
                };
                doc.sip_secret = Some(crate::config::SipSecret::new(
                    &doc.extension,
                    &tenant.sip_domain,
                    &password,
                ));
                let data =
                    serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
                scoped
                    .put_config(
                        Agent::KIND,
                        &item.key,
                        &data,
                        Some(item.version),
                        self.now_ms(),
                        None,
                    )
                    .await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }

    /// A tenant's documents of one kind, by key.
    pub async fn config_list(&self, tenant: TenantId, kind: &str) -> AppResult<Vec<ConfigItem>> {
        Ok(self.store().scoped(tenant).config_items(kind).await?)
    }

    /// One document, or `NotFound` naming it.
    pub async fn config_get<K: Kind>(&self, tenant: TenantId, key: &str) -> AppResult<ConfigItem> {
        self.store()
            .scoped(tenant)
            .config_item(K::KIND, key)
            .await?
            .ok_or(AppError::NotFound(K::WHAT))
    }

    /// Creates (`version` `None`) or replaces (the version read) a document: checked against
    /// the store and the running engine, written with its audit row by `actor`, applied.
    /// A document refused is not written; one written is applied before this returns.
    pub async fn put_config<K: Kind>(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        key: &str,
        mut doc: K,
        version: Option<i64>,
    ) -> AppResult<ConfigItem> {
        let lock = self.config_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let old = self
            .store()
            .scoped(tenant)
            .config_item(K::KIND, key)
            .await?;
        match (&old, version) {
            (Some(_), None) => {
                return Err(store::StoreError::Conflict {
                    what: match K::KIND {
                        "skill" => "a skill with this key",
                        "queue" => "a queue with this key",
                        "team" => "a team with this key",
                        "calendar" => "a calendar with this key",
                        "ivr_flow" => "an IVR flow with this key",
                        "order_type" => "an order type with this key",
                        "handling_group" => "a handling group with this key",
                        "integration" => "an integration with this key",
                        "incident" => "an incident with this key",
                        "agent" => {
                            "a routing profile for this user (send its version to change it)"
                        }
                        _ => "the settings (send their version to change them)",
                    },
                }
                .into());
            }
            (None, Some(_)) => return Err(AppError::NotFound(K::WHAT)),
            (Some(old), Some(_)) => match parse::<K>(old) {
                Ok(old) => doc.keep_from(&old),
                // What it cannot read it cannot keep; the new document replaces it whole.
                Err(e) => tracing::warn!(tenant = tenant.0, "{e}"),
            },
            (None, None) => {}
        }
        doc.check_stored(self, tenant, key).await?;
        check_saved_name(&doc)?;
        self.check_name_unique(tenant, key, &doc).await?;
        doc.seal(self, tenant).await?;
        let (k, d) = (key.to_string(), doc.clone());
        self.center(tenant, move |c| d.check(&k, c)).await??;
        let data = serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
        let audit = actor.map(|a| (a, doc.audited()));
        let item = self
            .store()
            .scoped(tenant)
            .put_config(K::KIND, key, &data, version, self.now_ms(), audit)
            .await?;
        // Checked a moment ago; if the engine refuses now (its state moved on in between),
        // the document is stored but the engine runs the one before until it is saved again
        // or the center restarts — ours to report, not the caller's input.
        let k = key.to_string();
        self.center(tenant, move |c| doc.apply(&k, c))
            .await?
            .map_err(|e| {
                AppError::Internal(format!(
                    "{} `{key}` of tenant {} written but not applied: {e}",
                    K::KIND,
                    tenant.0
                ))
            })?;
        if K::KIND == CenterSettings::KIND {
            self.contact_policy_changed(tenant);
            self.kb_settings_changed(tenant).await?;
        }
        if K::KIND == crate::config::DealerRegions::KIND {
            self.territories_changed(tenant);
        }
        Ok(item)
    }

    /// Deletes a document at the version read, with its audit row by `actor`; refused while
    /// another document names it or the running center still needs it. The engine lets go
    /// of it only once nothing refuses: a stale version changes nothing.
    /// Checks a document as saving it would, without saving it: a draft tried out first.
    pub async fn check_config<K: Kind>(
        &self,
        tenant: TenantId,
        key: &str,
        doc: &K,
    ) -> AppResult<()> {
        doc.check_stored(self, tenant, key).await?;
        check_saved_name(doc)?;
        let (k, d) = (key.to_string(), doc.clone());
        self.center(tenant, move |c| d.check(&k, c)).await?
    }

    pub async fn delete_config<K: Kind>(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        key: &str,
        version: i64,
    ) -> AppResult<()> {
        let lock = self.config_lock(tenant);
        let _one_at_a_time = lock.lock().await;
        let item = self.config_get::<K>(tenant, key).await?;
        if item.version != version {
            return Err(store::StoreError::Stale {
                what: "configuration",
                current: item.version,
            }
            .into());
        }
        for kind in [
            Queue::KIND,
            Agent::KIND,
            IvrFlow::KIND,
            tickets::OrderType::KIND,
            tickets::Group::KIND,
        ] {
            for item in self.store().scoped(tenant).config_items(kind).await? {
                let refers = match kind {
                    "queue" => parse::<Queue>(&item).map(|d| d.refers_to(K::KIND, key)),
                    "agent" => parse::<Agent>(&item).map(|d| d.refers_to(K::KIND, key)),
                    "order_type" => {
                        parse::<tickets::OrderType>(&item).map(|d| d.refers_to(K::KIND, key))
                    }
                    "handling_group" => {
                        parse::<tickets::Group>(&item).map(|d| d.refers_to(K::KIND, key))
                    }
                    _ => parse::<IvrFlow>(&item).map(|d| d.refers_to(K::KIND, key)),
                };
                let refers = refers.unwrap_or_else(|e| {
                    // The engine left it out when it loaded; it names nothing that runs.
                    tracing::warn!(tenant = tenant.0, "{e}");
                    false
                });
                if refers && !(kind == K::KIND && item.key == key) {
                    return Err(AppError::InUse {
                        kind,
                        key: item.key,
                        what: K::WHAT,
                    });
                }
            }
        }
        K::check_delete(self, tenant, key).await?;
        let k = key.to_string();
        self.center(tenant, move |c| K::forget(&k, c)).await??;
        self.store()
            .scoped(tenant)
            .delete_config(K::KIND, key, version, self.now_ms(), actor)
            .await?;
        if K::KIND == crate::config::DealerRegions::KIND {
            self.territories_changed(tenant);
        }
        Ok(())
    }

    /// Configuration changes of one tenant, one at a time (another tenant's never wait).
    fn config_lock(&self, tenant: TenantId) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        self.0
            .config_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }
}

impl App {
    /// Two documents of a kind with one name (two queues called 报修) would be told apart by
    /// their keys only, which people do not see.
    async fn check_name_unique<K: Kind>(
        &self,
        tenant: TenantId,
        key: &str,
        doc: &K,
    ) -> AppResult<()> {
        let Some(name) = doc_name(doc) else {
            return Ok(());
        };
        for other in self.store().scoped(tenant).config_items(K::KIND).await? {
            let same = other
                .data
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::trim)
                == Some(name.trim());
            if other.key != key && same {
                return Err(AppError::invalid(
                    "name",
                    format!("already the name of `{}`", other.key),
                ));
            }
        }
        Ok(())
    }
}

fn doc_name<K: Kind>(doc: &K) -> Option<String> {
    serde_json::to_value(doc)
        .ok()?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// The name of a document being saved, within the limits (documents saved before them still
/// load; only a change must meet them).
fn check_saved_name<K: Kind>(doc: &K) -> AppResult<()> {
    match doc_name(doc) {
        Some(name) => crate::config::check_name(&name),
        None => Ok(()),
    }
}

/// The user a document keyed by user id (a routing profile, a dealer's regions) belongs to.
async fn keyed_user(app: &App, tenant: TenantId, key: &str) -> AppResult<store::User> {
    let user_id: i64 = key
        .parse()
        .map_err(|_| AppError::invalid("user_id", "not a user id"))?;
    app.store()
        .user(Some(tenant), UserId(user_id))
        .await?
        .ok_or(AppError::NotFound("user"))
}

impl Kind for crate::config::DealerRegions {
    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        let user = keyed_user(app, tenant, key).await?;
        if user.role != Role::Dealer {
            return Err(AppError::invalid("user_id", "only dealers serve regions"));
        }
        if !(1..=10).contains(&self.weight) {
            return Err(AppError::invalid("weight", "1 to 10"));
        }
        crate::config::check_regions(&self.regions)
    }
}

impl Kind for Skill {
    fn check(&self, _key: &str, _c: &Center) -> AppResult<()> {
        not_empty(&self.name)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.skill(key);
        Ok(())
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        c.forget_skill(key);
        Ok(())
    }
}

impl Kind for Queue {
    fn check(&self, key: &str, c: &Center) -> AppResult<()> {
        c.queue_config(key, self).map(drop)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.apply_queue(key, self)
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        match kind {
            "skill" => self
                .skills
                .iter()
                .chain(self.relax.iter().flat_map(|r| r.fallback.iter().flatten()))
                .any(|n| n.skill == key),
            "queue" => self
                .overflow
                .as_ref()
                .is_some_and(|o| o.queue.as_deref() == Some(key)),
            "calendar" => self.calendar.as_deref() == Some(key),
            _ => false,
        }
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        c.close_queue(key)
    }
}

impl Kind for Team {
    async fn check_stored(&self, app: &App, tenant: TenantId, _key: &str) -> AppResult<()> {
        not_empty(&self.name)?;
        let people = self
            .leader
            .iter()
            .map(|l| ("leader".to_string(), *l))
            .chain(
                self.members
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (format!("members[{i}]"), *m)),
            );
        for (field, id) in people {
            if app.store().user(Some(tenant), UserId(id)).await?.is_none() {
                return Err(AppError::invalid(field, format!("no user {id} here")));
            }
        }
        Ok(())
    }
}

impl Kind for Agent {
    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        let user = keyed_user(app, tenant, key).await?;
        if !matches!(user.role, Role::Agent | Role::Expert | Role::Supervisor) {
            return Err(AppError::invalid(
                "user_id",
                "only agents, experts and supervisors take contacts",
            ));
        }
        agent_id(user.id.0)?;
        // One phone per extension in a tenant: a second would steal the first's calls.
        if let Some(other) = app
            .store()
            .scoped(tenant)
            .agent_by_extension(&self.extension)
            .await?
            && other.key != key
        {
            return Err(AppError::invalid(
                "extension",
                format!("already used by user {}", other.key),
            ));
        }
        Ok(())
    }

    fn check(&self, _key: &str, c: &Center) -> AppResult<()> {
        c.agent_config(self).map(drop)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        let id = key
            .parse()
            .map_err(|_| AppError::invalid("user_id", "not a user id"))
            .and_then(agent_id)?;
        c.apply_agent(id, &self)
    }

    /// Neither the SIP password nor its HA1 is written to the audit log.
    fn audited(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            let had = o.remove("sip_password").is_some_and(|p| !p.is_null());
            o.remove("sip_secret");
            if had {
                o.insert("sip_password_set".into(), true.into());
            }
        }
        v
    }

    /// Leaving the SIP password out keeps the one set before.
    fn keep_from(&mut self, old: &Agent) {
        if self.sip_password.is_none() && self.sip_secret.is_none() {
            self.sip_secret.clone_from(&old.sip_secret);
            // Stored before passwords were sealed: sealed now.
            self.sip_password.clone_from(&old.sip_password);
        }
    }

    /// The SIP password becomes its HA1 under the tenant's SIP domain; the password is
    /// not kept. A kept HA1 is for one extension: a new extension needs a new password.
    async fn seal(&mut self, app: &App, tenant: TenantId) -> AppResult<()> {
        if let Some(p) = self.sip_password.take() {
            if !(8..=128).contains(&p.chars().count()) {
                return Err(AppError::invalid("sip_password", "8 to 128 characters"));
            }
            let realm = app
                .store()
                .tenant(tenant)
                .await?
                .ok_or(AppError::NotFound("tenant"))?
                .sip_domain;
            self.sip_secret = Some(crate::config::SipSecret::new(&self.extension, &realm, &p));
        } else if self
            .sip_secret
            .as_ref()
            .is_some_and(|s| s.extension != self.extension)
        {
            return Err(AppError::invalid(
                "sip_password",
                "set a new SIP password when the extension changes",
            ));
        }
        Ok(())
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        match kind {
            "skill" => self.skills.iter().any(|s| s.skill == key),
            "queue" => self.queues.iter().any(|q| q == key),
            _ => false,
        }
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        let id = key
            .parse()
            .map_err(|_| AppError::invalid("user_id", "not a user id"))
            .and_then(agent_id)?;
        c.forget_agent(id)
    }
}

impl Kind for Calendar {
    fn check(&self, _key: &str, _c: &Center) -> AppResult<()> {
        self.build().map(drop)
    }

    /// Queues on this calendar open or close by the new hours at once.
    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.set_calendar(key, self.build()?);
        Ok(())
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        c.forget_calendar(key);
        Ok(())
    }
}

impl Kind for IvrFlow {
    fn apply(self, _key: &str, c: &mut Center) -> AppResult<()> {
        // A flow saved: the alert about one that failed to load is answered.
        c.floor.clear_flow_alert();
        Ok(())
    }

    /// A number the tenant answers keeps a flow: its own, else `main`.
    async fn check_delete(app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        let scoped = app.store().scoped(tenant);
        let flows: Vec<String> = scoped
            .config_items(IvrFlow::KIND)
            .await?
            .into_iter()
            .map(|i| i.key)
            .filter(|k| k != key)
            .collect();
        let main = flows.iter().any(|k| k == "main");
        for number in scoped.tenant_numbers().await? {
            if !main && !flows.contains(&number) {
                return Err(AppError::InvalidState(format!(
                    "calls to {number} would find no IVR flow; give it one (or `main`) first"
                )));
            }
        }
        Ok(())
    }

    /// No caller can be stranded: every queue and calendar it names exists.
    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        not_empty(&self.name)?;
        if key == crate::config::SURVEY_FLOW
            && let Some(node) = crate::config::survey_refuses(&self.flow)
        {
            return Err(AppError::invalid(
                format!("flow.nodes.{node}"),
                "the survey after a call only says, asks and hangs up (no queue, voicemail, callback or transfer)",
            ));
        }
        let keys = |items: Vec<ConfigItem>| items.into_iter().map(|i| i.key).collect::<Vec<_>>();
        let queues = keys(app.store().scoped(tenant).config_items(Queue::KIND).await?);
        let calendars = keys(
            app.store()
                .scoped(tenant)
                .config_items(Calendar::KIND)
                .await?,
        );
        self.flow
            .check(Some(&queues), Some(&calendars))
            .map_err(|e| AppError::invalid(format!("flow.{}", e.field), e.reason))
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        self.flow.nodes.values().any(|n| match (kind, n) {
            ("queue", ivr::Node::Queue { queue, .. } | ivr::Node::Callback { queue }) => {
                queue == key
            }
            (
                "calendar",
                ivr::Node::Branch {
                    when: ivr::Condition::Open { calendar },
                    ..
                },
            ) => calendar == key,
            _ => false,
        })
    }
}

impl Kind for CenterSettings {
    fn check(&self, _key: &str, _c: &Center) -> AppResult<()> {
        if let Some(l) = &self.leads {
            l.check()?;
        }
        if let Some(p) = &self.contact_policy {
            p.build()?;
        }
        if let Some(l) = &self.closed_loop {
            for (field, v, range) in [
                ("closed_loop.fcr_days", l.fcr_days, 0..=90),
                ("closed_loop.callback_attempts", l.callback_attempts, 1..=10),
                ("closed_loop.callback_days", l.callback_days, 0..=30),
            ] {
                if !range.contains(&v) {
                    return Err(AppError::invalid(
                        field,
                        format!("{} to {}", range.start(), range.end()),
                    ));
                }
            }
        }
        if let Some(r) = &self.reports {
            for (field, v) in [
                ("reports.service_level_s", r.service_level_s),
                ("reports.short_abandon_s", r.short_abandon_s),
            ] {
                if !reports::THRESHOLDS_S.contains(&v) {
                    return Err(AppError::invalid(
                        field,
                        format!("one of {:?} seconds", reports::THRESHOLDS_S),
                    ));
                }
            }
            if let Some(w) = &r.ranking {
                reports::check_weights(w).map_err(|(field, reason)| {
                    AppError::invalid(format!("reports.{field}"), reason)
                })?;
            }
        }
        if let Some(k) = &self.knowledge {
            k.check()?;
        }
        check_settings(self)
    }

    /// Settings saved without dialing rules or the closed loop's numbers keep the ones set
    /// before.
    fn keep_from(&mut self, old: &CenterSettings) {
        if self.dialing.is_none() {
            self.dialing.clone_from(&old.dialing);
        }
        if self.closed_loop.is_none() {
            self.closed_loop = old.closed_loop;
        }
        if self.reports.is_none() {
            self.reports.clone_from(&old.reports);
        }
        if self.knowledge.is_none() {
            self.knowledge.clone_from(&old.knowledge);
        }
        if self.leads.is_none() {
            self.leads.clone_from(&old.leads);
        }
        if self.contact_policy.is_none() {
            self.contact_policy.clone_from(&old.contact_policy);
        }
    }
}

/// A short code (a category's, a field's key): letters, digits, `-` and `_`, 1–40.
pub(crate) fn check_code(field: &str, code: &str) -> AppResult<()> {
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::invalid(field, "1–40 letters, digits, `-` or `_`"));
    }
    Ok(())
}

pub(crate) fn check_label(field: &str, label: &str) -> AppResult<()> {
    crate::config::check_name(label).map_err(|e| match e {
        AppError::Invalid { reason, .. } => AppError::invalid(field, reason),
        other => other,
    })
}

fn check_categories(path: &str, level: &[tickets::setup::Category], depth: u8) -> AppResult<()> {
    if depth > 4 {
        return Err(AppError::invalid(path, "at most four levels of categories"));
    }
    if level.len() > 100 {
        return Err(AppError::invalid(path, "at most 100 categories on a level"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in level.iter().enumerate() {
        let at = format!("{path}[{i}]");
        check_code(&format!("{at}.code"), &c.code)?;
        if !seen.insert(&c.code) {
            return Err(AppError::invalid(
                format!("{at}.code"),
                "used twice on this level",
            ));
        }
        check_label(&format!("{at}.name_zh"), &c.name_zh)?;
        check_label(&format!("{at}.name_en"), &c.name_en)?;
        check_categories(&format!("{at}.children"), &c.children, depth + 1)?;
    }
    Ok(())
}

fn check_limit(field: &str, limit: Option<tickets::Limit>) -> AppResult<()> {
    use tickets::Limit as L;
    match limit {
        Some(L::WorkingMinutes(0) | L::WallMinutes(0) | L::WorkingDays(0)) => {
            Err(AppError::invalid(field, "a limit of at least 1"))
        }
        // What a calendar counts ahead (400 days) holds on a standard working week.
        Some(L::WorkingDays(d)) if d > 250 => {
            Err(AppError::invalid(field, "at most 250 working days"))
        }
        Some(L::WorkingMinutes(m)) if m > 120_000 => {
            Err(AppError::invalid(field, "at most 120,000 working minutes"))
        }
        Some(L::WallMinutes(m)) if m > 525_600 => {
            Err(AppError::invalid(field, "at most a year of minutes"))
        }
        _ => Ok(()),
    }
}

impl Kind for tickets::OrderType {
    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        check_code("key", key)?;
        check_label("name_zh", &self.name_zh)?;
        check_label("name_en", &self.name_en)?;
        check_categories("categories", &self.categories, 1)?;
        if self.fields.len() > 30 {
            return Err(AppError::invalid("fields", "at most 30 fields"));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            check_code(&format!("fields[{i}].key"), &f.key)?;
            if !keys.insert(&f.key) {
                return Err(AppError::invalid(format!("fields[{i}].key"), "used twice"));
            }
            check_label(&format!("fields[{i}].label_zh"), &f.label_zh)?;
            check_label(&format!("fields[{i}].label_en"), &f.label_en)?;
            let choice = f.kind == tickets::setup::FieldKind::Choice;
            if choice == f.options.is_empty() || f.options.len() > 50 {
                return Err(AppError::invalid(
                    format!("fields[{i}].options"),
                    "1–50 options for a choice, none otherwise",
                ));
            }
            for (j, o) in f.options.iter().enumerate() {
                check_label(&format!("fields[{i}].options[{j}]"), o)?;
            }
        }
        let mut segments = std::collections::HashSet::new();
        let calendars = app
            .store()
            .scoped(tenant)
            .config_items(Calendar::KIND)
            .await?;
        for (i, p) in self.policies.iter().enumerate() {
            if !segments.insert(p.segment.clone()) {
                return Err(AppError::invalid(
                    format!("policies[{i}].segment"),
                    "one policy per segment",
                ));
            }
            if p.escalate_percent != 0 && !(101..=1000).contains(&p.escalate_percent) {
                return Err(AppError::invalid(
                    format!("policies[{i}].escalate_percent"),
                    "0 (none) or 101 to 1000",
                ));
            }
            if p.warn_percent > 99 {
                return Err(AppError::invalid(
                    format!("policies[{i}].warn_percent"),
                    "0 (no warning) to 99",
                ));
            }
            for (name, l) in [
                ("accept", p.accept),
                ("first_action", p.first_action),
                ("resolve", p.resolve),
            ] {
                check_limit(&format!("policies[{i}].{name}"), l)?;
            }
            if let Some(c) = &p.calendar
                && !calendars.iter().any(|item| &item.key == c)
            {
                return Err(AppError::invalid(
                    format!("policies[{i}].calendar"),
                    format!("no calendar `{c}` here"),
                ));
            }
        }
        Ok(())
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        kind == Calendar::KIND
            && self
                .policies
                .iter()
                .any(|p| p.calendar.as_deref() == Some(key))
    }
}

impl Kind for crate::config::Integration {
    fn check(&self, key: &str, _c: &Center) -> AppResult<()> {
        check_code("key", key)?;
        check_label("name", &self.name)?;
        match &self.secret {
            None => Err(AppError::invalid(
                "secret",
                "a shared secret of 32 to 256 characters",
            )),
            Some(s) if !(32..=256).contains(&s.len()) || s.chars().any(char::is_control) => Err(
                AppError::invalid("secret", "32 to 256 characters, no control characters"),
            ),
            Some(_) => Ok(()),
        }
    }

    /// Saved without a secret, the one set before is kept.
    fn keep_from(&mut self, old: &Self) {
        if self.secret.is_none() {
            self.secret.clone_from(&old.secret);
        }
    }

    fn audited(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "secret_set": self.secret.is_some() })
    }
}

impl Kind for tickets::Group {
    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        check_code("key", key)?;
        check_label("name", &self.name)?;
        if self.members.len() > 500 {
            return Err(AppError::invalid("members", "at most 500 members"));
        }
        let people = self.lead.iter().map(|l| ("lead".to_string(), *l)).chain(
            self.members
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("members[{i}]"), *m)),
        );
        for (field, id) in people {
            let user = i64::try_from(id).ok().map(UserId);
            let found = match user {
                Some(u) => app.store().user(Some(tenant), u).await?,
                None => None,
            };
            if found.is_none_or(|u| u.role == Role::Dealer || !u.active) {
                return Err(AppError::invalid(
                    field,
                    format!("no active user {id} here"),
                ));
            }
        }
        if self.handles.len() > 200 {
            return Err(AppError::invalid("handles", "at most 200 rules"));
        }
        for (i, m) in self.handles.iter().enumerate() {
            for (name, v) in [
                ("order_type", &m.order_type),
                ("category", &m.category),
                ("region", &m.region),
                ("segment", &m.segment),
            ] {
                if let Some(v) = v
                    && (v.chars().count() > 100 || v.chars().any(char::is_control) || v.is_empty())
                {
                    return Err(AppError::invalid(
                        format!("handles[{i}].{name}"),
                        "1–100 characters, no control characters",
                    ));
                }
            }
        }
        Ok(())
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        kind == "order_type"
            && self
                .handles
                .iter()
                .any(|m| m.order_type.as_deref() == Some(key))
    }

    /// Its open orders would be left with nobody to take them.
    async fn check_delete(app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        let open = app
            .store()
            .scoped(tenant)
            .orders(&store::OrderQuery {
                statuses: ["dispatched", "accepted", "waiting", "resolved"]
                    .map(String::from)
                    .to_vec(),
                group: Some(key.to_string()),
                limit: 1,
                ..store::OrderQuery::default()
            })
            .await?;
        if !open.is_empty() {
            return Err(AppError::InvalidState(
                "the group still has open work orders; re-dispatch them first".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[track_caller]
    fn loads<K: Kind + std::fmt::Debug>(data: Value) -> K {
        let item = ConfigItem {
            kind: K::KIND.into(),
            key: "k".into(),
            data,
            version: 1,
            updated_at_ms: 0,
        };
        parse::<K>(&item).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Documents as the API stored them before configuration had types of its own (the
    /// wire types serialised, `null` for what was left out) still load.
    #[test]
    fn issue_19_documents_stored_before_the_change_still_load() {
        let q: Queue = loads(json!({
            "name": "报修 Repairs", "channel": null,
            "skills": [{"skill": "water", "min": 3}],
            "relax": [{"after": 30.0, "min_proficiency": 1, "fallback": null}],
            "strategy": "longest_idle", "priority": null, "acceleration": null,
            "service_level": 0.8, "service_time": 20.0, "wrap_up": 15.0, "ring_timeout": null,
            "max_wait": null, "max_size": null, "overflow": {"to": "voicemail", "queue": null},
            "nobody_logged_in": null, "sticky": null, "open": null, "calendar": "office",
            "announce": {"every": 30.0, "position": null, "wait": true}
        }));
        assert_eq!(q.skills[0].skill, "water");
        assert_eq!(q.calendar.as_deref(), Some("office"));
        assert!(q.refers_to("calendar", "office") && q.refers_to("skill", "water"));
        // The demo's seed wrote queues with only some fields.
        let q: Queue = loads(json!({"name": "总队列", "skills": [], "wrap_up": 10}));
        assert_eq!(q.wrap_up, Some(10.0));
        let a: Agent = loads(json!({
            "extension": "1001", "sip_password": "secret1001",
            "skills": [{"skill": "water", "proficiency": 5}], "queues": ["repair"],
            "capacity": null
        }));
        assert!(a.refers_to("queue", "repair"));
        let c: Calendar = loads(json!({
            "name": "office", "time_zone": null,
            "weekly": [["08:30-17:30"], ["08:30-17:30"], ["08:30-17:30"], ["08:30-17:30"],
                       ["08:30-17:30"], [], []],
            "cn_statutory": true, "holidays": [], "workdays": [], "special": []
        }));
        c.build().unwrap();
        let t: Team = loads(json!({"name": "一班", "leader": 3, "members": [4, 5]}));
        assert_eq!(t.members, [4, 5]);
        loads::<Skill>(json!({"name": "水务"}));
        let s: CenterSettings = loads(json!({
            "dispositions": [{"code": "repair", "name_zh": "故障报修", "name_en": "Repair"}],
            "thresholds": [{"state": "talking", "amber_seconds": 600, "red_seconds": 900}]
        }));
        assert_eq!(s.dispositions[0].code, "repair");
    }

    /// The demo seeded its IVR flow bare (`{start, nodes}`), the API with a name
    /// (`{name, flow}`); both load, and the flow is the same.
    #[test]
    fn issue_19_ivr_flows_load_in_both_stored_shapes() {
        let flow = json!({"start": "q", "nodes": {"q": {"type": "queue", "queue": "repair"}}});
        let bare: IvrFlow = loads(flow.clone());
        let named: IvrFlow = loads(json!({"name": "主流程", "flow": flow}));
        assert_eq!(bare.flow, named.flow);
        assert_eq!(named.name, "主流程");
        assert!(named.refers_to("queue", "repair"));
        assert!(!named.refers_to("queue", "billing"));
        // What is written now is the named shape.
        let again = serde_json::to_value(&named).unwrap();
        assert_eq!(again["name"], "主流程");
        assert_eq!(loads::<IvrFlow>(again), named);
    }

    /// A document that does not parse says which one, never loads as something else.
    #[test]
    fn issue_19_a_document_that_does_not_parse_names_itself() {
        let item = ConfigItem {
            kind: "queue".into(),
            key: "broken".into(),
            data: json!({"skills": "not a list"}),
            version: 1,
            updated_at_ms: 0,
        };
        let e = parse::<Queue>(&item).unwrap_err().to_string();
        assert!(e.contains("queue `broken`"), "{e}");
    }
}
