//! Telephony's view of the application ([`telephony::App`]): which tenant and IVR flow a
//! dialled number reaches, who the caller is, an extension's SIP credentials, and what the
//! calls report — answers, refusals, hold, hang-ups — fed to the tenant's routing engine
//! and the event log.
//!
//! A dialled number reaches the tenant that owns it; its IVR flow is the flow keyed by the
//! number if there is one, else the tenant's flow `main`.

use std::collections::BTreeMap;

use store::{Registration, Segment, TenantId, UserId};
use telephony::registrar::{Binding, Extension};
use telephony::{
    Announce, ConsultState, ExtensionAuth, Party, Place, Queued, Report, Route, Transfer,
    TransferTo,
};

use crate::App;
use crate::center::{Incoming, agent_id};
use crate::config::{Agent, Document, IvrFlow, SURVEY_FLOW, parse, survey_refuses};

/// The application as telephony sees it.
#[derive(Debug, Clone)]
pub struct Switchboard(pub App);

/// The queue priority a segment adds to its callers (key customers first, R1.3).
fn segment_priority(s: Segment) -> i32 {
    match s {
        Segment::LargeAccount => 10,
        Segment::Vulnerable => 5,
        _ => 0,
    }
}

fn segment_name(s: Segment) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The user whose agent profile has this extension, in the tenant.
pub async fn agent_by_extension(state: &App, tenant: TenantId, extension: &str) -> Option<i64> {
    let item = state
        .store()
        .scoped(tenant)
        .agent_by_extension(extension)
        .await
        .ok()??;
    item.key.parse().ok()
}

impl Switchboard {
    async fn log<P: events::Payload>(&self, tenant: i64, id: String, payload: P) {
        self.0.record(TenantId(tenant), id, &payload).await;
    }

    /// Runs `job` on the tenant's engine; failures are logged (telephony cannot act on them).
    async fn engine(
        &self,
        tenant: i64,
        what: &str,
        job: impl FnOnce(&mut crate::center::Center) -> Result<(), String> + Send + 'static,
    ) {
        match self.0.center(TenantId(tenant), job).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(tenant, "{what}: {e}"),
            Err(e) => tracing::error!(tenant, "{what}: {e}"),
        }
    }

    /// The known caller's segment as reports name it.
    async fn customer_segment(&self, tenant: TenantId, customer: Option<i64>) -> Option<String> {
        let id = customer?;
        let c = self
            .0
            .store()
            .scoped(tenant)
            .customer(store::CustomerId(id))
            .await
            .ok()??;
        Some(segment_name(c.data.segment))
    }

    /// The user's phone is on (or done with) a call the engine does not follow: an
    /// extension rung straight, a consultation, a call placed. The center decides what
    /// that means for routing ([`crate::center::Center::refresh_phone`]).
    async fn engaged(&self, tenant: i64, user: i64, on_call: bool) {
        self.engine(tenant, "the phone's availability", move |c| {
            c.set_engaged(user, on_call);
            Ok(())
        })
        .await;
    }
}

impl Switchboard {
    /// The number's own flow, or the tenant's `main`; why not, if neither loads.
    async fn flow_for(&self, tenant: TenantId, number: &str) -> Result<ivr::Flow, String> {
        let scoped = self.0.store().scoped(tenant);
        let doc = match scoped.config_item(IvrFlow::KIND, number).await {
            Ok(Some(doc)) => doc,
            Ok(None) => match scoped.config_item(IvrFlow::KIND, "main").await {
                Ok(Some(doc)) => doc,
                Ok(None) => return Err("no IVR flow for this number and no `main` flow".into()),
                Err(e) => return Err(e.to_string()),
            },
            Err(e) => return Err(e.to_string()),
        };
        parse::<IvrFlow>(&doc)
            .map(|d| d.flow)
            .map_err(|e| e.to_string())
    }

    /// A number whose flow cannot load is still answered: by the tenant's first queue, or
    /// with an apology if it has none — never a 404. Supervisors see it on the floor and
    /// the log keeps it.
    async fn fallback(&self, tenant: TenantId, number: &str, reason: String) -> ivr::Flow {
        tracing::error!(
            tenant = tenant.0,
            number,
            "IVR flow failed to load: {reason}"
        );
        let queue = self
            .0
            .store()
            .scoped(tenant)
            .config_items(crate::config::Queue::KIND)
            .await
            .ok()
            .and_then(|qs| qs.into_iter().map(|q| q.key).min());
        let (flow, what) = match queue {
            Some(q) => (
                serde_json::json!({"start": "q", "nodes": {"q": {"type": "queue", "queue": q}}}),
                format!("queue:{q}"),
            ),
            None => (
                serde_json::json!({"start": "sorry", "nodes": {"sorry": {"type": "hangup",
                    "prompt": "tts:抱歉，系统正在维护，请稍后再拨。Sorry, the line is under maintenance; please call again later."}}}),
                "message".to_string(),
            ),
        };
        let at = self.0.now_ms();
        let (n, r) = (number.to_string(), reason.clone());
        let news = self
            .0
            .center(tenant, move |c| c.floor.flow_failed(at, &n, &r))
            .await
            .unwrap_or(true);
        if news {
            let failed = events::IvrFlowFailed {
                number: number.to_string(),
                reason,
                fallback: what,
            };
            self.0
                .record(tenant, format!("ivr-flow-failed:{number}:{at}"), &failed)
                .await;
        }
        serde_json::from_value(flow).expect("the fallback flow is well formed")
    }
}

#[async_trait::async_trait]
impl telephony::App for Switchboard {
    async fn route(&self, dialled: &str, caller: &str) -> Option<Route> {
        let store = self.0.store();
        let number = phone::normalize(dialled, None).ok()?;
        let tenant = store.tenant_by_number(number.as_str()).await.ok()??;
        // A suspended center's numbers are not answered.
        if store.tenant(tenant).await.ok()??.suspended_at_ms.is_some() {
            tracing::info!(
                tenant = tenant.0,
                "a call to a suspended tenant's number refused"
            );
            return None;
        }
        let mut flow = match self.flow_for(tenant, number.as_str()).await {
            Ok(flow) => flow,
            Err(reason) => self.fallback(tenant, number.as_str(), reason).await,
        };
        let mut vars = BTreeMap::new();
        let mut customer = None;
        if let Ok(p) = phone::normalize(caller, None) {
            vars.insert("caller".into(), p.as_str().to_string());
            if let Ok(found) = store.scoped(tenant).customers_by_phone(p.as_str()).await
                && let [one] = found.as_slice()
            {
                customer = Some(one.id.0);
                vars.insert("customer_id".into(), one.id.0.to_string());
                vars.insert("segment".into(), segment_name(one.data.segment));
                // Callers from an incident's area hear it before the menu.
                match self.0.incidents_affecting(tenant, one).await {
                    Ok(news) => crate::incidents::announce(&mut flow, &news),
                    Err(e) => tracing::warn!(tenant = tenant.0, "incidents not read: {e}"),
                }
            }
        }
        let open_calendars = self
            .0
            .center(tenant, |c| c.open_calendars())
            .await
            .unwrap_or_default();
        Some(Route {
            tenant: tenant.0,
            flow,
            vars,
            open_calendars,
            customer,
        })
    }

    async fn extension(&self, domain: &str, extension: &str) -> Option<ExtensionAuth> {
        let store = self.0.store();
        let profiles = store.agents_by_extension(extension).await.ok()?;
        if profiles.is_empty() {
            return None;
        }
        // The tenant whose SIP domain it is; for an address (softphones often register to
        // one), any tenant, as long as the extension is theirs alone. Only the tenants
        // concerned are read: this runs on every REGISTER.
        let by_domain = store.tenants_by_sip_domain(domain).await.ok()?;
        let mut found = Vec::new();
        for (tenant, item) in profiles {
            let t = if by_domain.is_empty() {
                store.tenant(tenant).await.ok().flatten()
            } else {
                by_domain.iter().find(|t| t.id == tenant).cloned()
            };
            let Some(t) = t.filter(|t| t.suspended_at_ms.is_none()) else {
                continue;
            };
            let Ok(profile) = parse::<Agent>(&item) else {
                continue;
            };
            let Ok(user) = item.key.parse::<i64>() else {
                continue;
            };
            // A HA1 made under another SIP domain (the tenant's changed since) cannot be
            // checked: the password must be set again.
            if let Some(secret) = profile.sip_secret.filter(|s| s.realm == t.sip_domain) {
                found.push((
                    user,
                    ExtensionAuth {
                        tenant: t.id.0,
                        user,
                        ha1: secret.ha1,
                        realm: t.sip_domain.clone(),
                    },
                ));
            }
        }
        if found.len() != 1 {
            return None;
        }
        let (user, auth) = found.remove(0);
        // A deactivated user's phone is refused at once.
        let active = store
            .user(Some(TenantId(auth.tenant)), UserId(user))
            .await
            .ok()
            .flatten()
            .is_some_and(|u| u.active);
        active.then_some(auth)
    }

    /// The domain when it is a tenant's; for an address, one of the tenants' domains,
    /// chosen by the extension (as a real one would be one tenant's).
    async fn realm(&self, domain: &str, extension: &str) -> String {
        let store = self.0.store();
        if let Ok(mut t) = store.tenants_by_sip_domain(domain).await
            && let Some(t) = t.pop()
        {
            return t.sip_domain;
        }
        let mut domains: Vec<String> = store
            .tenants()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.sip_domain)
            .collect();
        domains.sort();
        let pick = extension.bytes().fold(0usize, |h, b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        match domains.len() {
            0 => domain.to_string(),
            n => domains.swap_remove(pick % n),
        }
    }

    async fn save_bindings(&self, tenant: i64, extension: &str, now: &[Binding]) {
        let rows: Vec<Registration> = now
            .iter()
            .map(|b| Registration {
                tenant: TenantId(tenant),
                extension: extension.to_string(),
                contact: b.contact.clone(),
                source: b.source.to_string(),
                transport: b.transport.to_string(),
                expires_at_ms: b.expires_at_ms,
                user: b.user,
                call_id: b.call_id.clone(),
                cseq: i64::from(b.cseq),
            })
            .collect();
        if let Err(e) = self
            .0
            .store()
            .save_registrations(TenantId(tenant), extension, &rows)
            .await
        {
            // The phone is registered all the same; after a restart it registers again.
            tracing::error!(tenant, extension, "registration not kept: {e}");
        }
    }

    async fn saved_bindings(&self) -> Vec<(Extension, Binding)> {
        let rows = match self.0.store().registrations(self.0.now_ms()).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!("registrations not restored: {e}");
                return Vec::new();
            }
        };
        // A suspended tenant's phones are not brought back.
        let suspended: Vec<TenantId> = match self.0.store().tenants().await {
            Ok(ts) => ts
                .into_iter()
                .filter(|t| t.suspended_at_ms.is_some())
                .map(|t| t.id)
                .collect(),
            Err(e) => {
                tracing::error!("registrations not restored: {e}");
                return Vec::new();
            }
        };
        rows.into_iter()
            .filter(|r| !suspended.contains(&r.tenant))
            .filter_map(|r| {
                let binding = Binding {
                    contact: r.contact,
                    source: r.source.parse().ok()?,
                    transport: if r.transport == "tcp" { "tcp" } else { "udp" },
                    expires_at_ms: r.expires_at_ms,
                    user: r.user,
                    call_id: r.call_id,
                    cseq: u32::try_from(r.cseq).ok()?,
                };
                Some(((r.tenant.0, r.extension), binding))
            })
            .collect()
    }

    async fn queue(&self, tenant: i64, call: Queued) -> Result<Option<Announce>, String> {
        let caller = phone::normalize(&call.caller, None)
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|_| call.caller.clone());
        let mut priority = call.priority;
        let mut customer_segment = None;
        if let Some(id) = call.customer
            && let Ok(Some(c)) = self
                .0
                .store()
                .scoped(TenantId(tenant))
                .customer(store::CustomerId(id))
                .await
        {
            priority += segment_priority(c.data.segment);
            customer_segment = Some(segment_name(c.data.segment));
        }
        let incoming = Incoming {
            call_id: call.call_id.clone(),
            caller,
            customer: call.customer,
            queue: call.queue.clone(),
            priority,
            dialled: call.dialled.clone(),
            ivr_ms: call.ivr_ms,
            segment: 0,
            ivr_path: call.ivr_path.clone(),
            customer_segment,
        };
        self.log(
            tenant,
            events::CallQueued::id(&call.call_id),
            events::CallQueued {
                call_id: call.call_id.clone(),
                queue: call.queue.clone(),
                customer_id: call.customer,
                ivr_ms: call.ivr_ms,
                ivr_path: call.ivr_path.clone(),
            },
        )
        .await;
        self.0
            .center(TenantId(tenant), move |c| {
                c.arrive(incoming).map(|_| c.announcements(&call.queue))
            })
            .await
            .and_then(|r| r)
            .map_err(|e| e.to_string())
    }

    async fn place(&self, tenant: i64, call_id: &str) -> Option<Place> {
        let key = call_id.to_string();
        self.0
            .center(TenantId(tenant), move |c| c.place(&key))
            .await
            .ok()
            .flatten()
    }

    async fn transfer(&self, tenant: i64, tr: Transfer) -> Result<TransferTo, String> {
        let t = TenantId(tenant);
        let store = self.0.store();
        let is_queue = store
            .scoped(t)
            .config_item("queue", &tr.to)
            .await
            .map_err(|e| e.to_string())?
            .is_some();
        let agent = if is_queue {
            None
        } else {
            let user = agent_by_extension(&self.0, t, &tr.to)
                .await
                .ok_or_else(|| format!("`{}` is neither a queue nor an extension", tr.to))?;
            Some(user)
        };
        let (key, to) = (tr.call_id.clone(), tr.to.clone());
        let queue = agent.is_none().then(|| tr.to.clone());
        let (caller, customer, dialled, segment) = (
            tr.caller.clone(),
            tr.customer,
            tr.dialled.clone(),
            tr.segment,
        );
        let customer_segment = self.customer_segment(t, customer).await;
        let announce = self
            .0
            .center(t, move |c| {
                // Checked before the agent's part ends, so a refusal leaves the call as it was.
                if let Some(q) = &queue
                    && c.known_queue(q).is_none()
                {
                    return Err(format!("the queue `{q}` is not in the routing engine"));
                }
                let why = format!("transferred to {to}");
                let priority = c.end_part(&key, &to, &why).unwrap_or(0);
                let Some(queue) = queue else {
                    return Ok(None);
                };
                let announce = c.announcements(&queue);
                c.arrive(Incoming {
                    call_id: key,
                    caller: phone::normalize(&caller, None)
                        .map_or(caller, |p| p.as_str().to_string()),
                    customer,
                    queue,
                    priority,
                    dialled,
                    ivr_ms: 0,
                    segment,
                    ivr_path: Vec::new(),
                    customer_segment,
                })
                .map(|_| announce)
                .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())??;
        let target = match agent {
            Some(user) => TransferTo::Agent(user),
            None => TransferTo::Queue(tr.to.clone(), announce),
        };
        self.log(
            tenant,
            events::CallTransferred::id(&tr.call_id, tr.segment),
            events::CallTransferred {
                call_id: tr.call_id.clone(),
                from_agent: tr.from_agent,
                to: tr.to.clone(),
                segment: tr.segment,
                to_user_id: match target {
                    TransferTo::Agent(u) => Some(u),
                    TransferTo::Queue(..) => None,
                },
            },
        )
        .await;
        Ok(target)
    }

    async fn consult(
        &self,
        tenant: i64,
        _call_id: &str,
        to: &str,
        from_agent: Option<i64>,
    ) -> Result<i64, String> {
        let expert = agent_by_extension(&self.0, TenantId(tenant), to)
            .await
            .ok_or_else(|| format!("`{to}` is not an extension"))?;
        if Some(expert) == from_agent {
            return Err("you cannot consult yourself".into());
        }
        self.engaged(tenant, expert, true).await;
        Ok(expert)
    }

    async fn survey(&self, tenant: i64, call_id: &str, _segment: u32) -> Option<ivr::Flow> {
        let t = TenantId(tenant);
        let doc = self
            .0
            .store()
            .scoped(t)
            .config_item(IvrFlow::KIND, SURVEY_FLOW)
            .await
            .ok()??;
        let flow = match parse::<IvrFlow>(&doc) {
            Ok(d) => d.flow,
            Err(e) => {
                tracing::warn!(tenant, "the survey flow does not load: {e}");
                return None;
            }
        };
        // Saved before surveys were checked: not run (the caller is hung up on as before).
        if let Some(node) = survey_refuses(&flow) {
            tracing::warn!(tenant, node, "the survey flow hands calls on; not run");
            return None;
        }
        let key = call_id.to_string();
        let ended = self
            .0
            .center(t, move |c| {
                c.end_part(
                    &key,
                    "survey",
                    "the agent hung up; the caller went to the survey",
                )
                .is_some()
            })
            .await
            .ok()?;
        ended.then_some(flow)
    }

    async fn callback(&self, tenant: i64, call_id: &str) -> Result<(), String> {
        // Only a number the center's dial rules allow is called back (a caller id can be
        // forged to a premium or foreign number).
        let key = call_id.to_string();
        let number = self
            .0
            .center(TenantId(tenant), move |c| {
                c.call(&key).map(|r| r.caller.clone())
            })
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the call is not waiting")?;
        let number = phone::normalize(&number, None)
            .map_err(|e| format!("the caller's number cannot be called back: {e}"))?;
        self.0
            .may_call(TenantId(tenant), &number)
            .await
            .map_err(|e| e.to_string())?;
        let key = call_id.to_string();
        self.0
            .center(TenantId(tenant), move |c| c.callback(&key))
            .await
            .map_err(|e| e.to_string())??;
        self.log(
            tenant,
            events::CallbackRequested::id(call_id),
            events::CallbackRequested {
                call_id: call_id.to_string(),
            },
        )
        .await;
        Ok(())
    }

    async fn report(&self, tenant: i64, report: Report) {
        let t = TenantId(tenant);
        match report {
            Report::Arrived {
                call_id,
                caller,
                dialled,
            } => {
                let id = events::CallArrived::id(&call_id);
                self.log(
                    tenant,
                    id,
                    events::CallArrived {
                        call_id,
                        caller,
                        dialled,
                    },
                )
                .await;
            }
            Report::IvrNode { call_id, node } => {
                let id = events::IvrNode::id(&call_id, &node, self.0.now_ms());
                self.log(tenant, id, events::IvrNode { call_id, node })
                    .await;
            }
            Report::Ringing {
                call_id,
                agent,
                extension,
                caller,
                dialled,
                customer,
            } => {
                // The screen pop: who calls, what they dialled, and who they are.
                let key = call_id.clone();
                let pop = self
                    .0
                    .center(t, move |c| {
                        let now = crate::center::ms(c.now);
                        c.call(&key).map(|r| {
                            (
                                r.caller.clone(),
                                r.customer,
                                r.queue.clone(),
                                r.dialled.clone(),
                                r.ivr_ms,
                                r.ivr_path.clone(),
                                now - r.arrived_ms,
                                r.order,
                            )
                        })
                    })
                    .await
                    .ok()
                    .flatten();
                if pop.is_none() {
                    // Rung straight to the extension (from the IVR, or passed on to it):
                    // the engine must not offer this phone another call meanwhile.
                    self.engaged(tenant, agent, true).await;
                }
                // What the engine knows of the call, else what telephony does.
                let (caller, customer, queue, dialled, ivr_ms, ivr_path, waited_ms, order_id) = pop
                    .unwrap_or_else(|| {
                        let caller = phone::normalize(&caller, None)
                            .map_or(caller, |p| p.as_str().to_string());
                        (
                            caller,
                            customer,
                            String::new(),
                            dialled,
                            0,
                            Vec::new(),
                            0,
                            None,
                        )
                    });
                let id = events::CallRinging::id(&call_id, agent, self.0.now_ms());
                self.log(
                    tenant,
                    id,
                    events::CallRinging {
                        call_id,
                        user_id: agent,
                        to_user_id: agent,
                        extension,
                        caller,
                        customer_id: customer,
                        queue,
                        dialled,
                        ivr_ms,
                        ivr_path,
                        waited_ms,
                        order_id,
                    },
                )
                .await;
            }
            Report::Answered { call_id, agent } => {
                self.engine(tenant, "answer", move |c| {
                    // A call rung straight to an extension is not the engine's.
                    let Some(call) = c.call_id(&call_id) else {
                        return Ok(());
                    };
                    let agent = agent_id(agent).map_err(|e| e.to_string())?;
                    let now = c.now;
                    c.acd
                        .handle_answer(now, call, agent)
                        .map_err(|e| e.to_string())
                })
                .await;
            }
            Report::Declined {
                call_id,
                agent,
                status,
            } => {
                tracing::info!(call_id, agent, status, "the agent's phone refused the call");
                let followed = self
                    .0
                    .center(t, move |c| {
                        let call = c.call_id(&call_id)?;
                        let now = c.now;
                        let result = agent_id(agent).map_err(|e| e.to_string()).and_then(|a| {
                            c.acd
                                .handle_decline(now, call, a)
                                .map_err(|e| e.to_string())
                        });
                        if let Err(e) = result {
                            tracing::warn!(tenant, "decline: {e}");
                        }
                        Some(())
                    })
                    .await
                    .ok()
                    .flatten()
                    .is_some();
                if !followed {
                    // An extension rung straight: its phone is free again.
                    self.engaged(tenant, agent, false).await;
                }
            }
            Report::Hold { call_id, on } => {
                self.engine(tenant, "hold", move |c| {
                    let now_ms = crate::center::ms(c.now);
                    let Some(call) = c.call_id(&call_id) else {
                        return Ok(());
                    };
                    if let Some(r) = c.call_mut(&call_id) {
                        match (on, r.hold_since_ms) {
                            (true, None) => r.hold_since_ms = Some(now_ms),
                            (false, Some(since)) => {
                                r.hold_ms += now_ms - since;
                                r.hold_since_ms = None;
                            }
                            _ => {}
                        }
                    }
                    let now = c.now;
                    c.acd.handle_hold(now, call, on).map_err(|e| e.to_string())
                })
                .await;
            }
            Report::Recording { call_id, path } => {
                let path = path.display().to_string();
                // Logged now, so a call cut off by a crash still finds its recording.
                let started = events::RecordingStarted {
                    call_id: call_id.clone(),
                    path: path.clone(),
                };
                let id = events::RecordingStarted::id(&call_id, &path);
                self.log(tenant, id, started).await;
                self.engine(tenant, "recording", move |c| {
                    if let Some(r) = c.call_mut(&call_id) {
                        r.recording = Some(path);
                    }
                    Ok(())
                })
                .await;
            }
            Report::RecordingFailed { call_id, error } => {
                let id = events::RecordingFailed::id(&call_id);
                self.log(tenant, id, events::RecordingFailed { call_id, error })
                    .await;
            }
            Report::Voicemail {
                call_id,
                mailbox,
                path,
            } => {
                let id = events::Voicemail::id(&call_id);
                let path = path.display().to_string();
                self.log(
                    tenant,
                    id,
                    events::Voicemail {
                        call_id,
                        mailbox,
                        path,
                    },
                )
                .await;
            }
            Report::Ended {
                call_id,
                by,
                reason,
                media,
                caller,
                dialled,
                customer,
                arrived_at_ms,
                ivr_ms,
                agent,
                connected_at_ms,
                ringing,
                recording,
                segment,
                outbound,
                survey,
            } => {
                if let Some(s) = survey {
                    // The agent's part was recorded when they hung up; this part is the
                    // caller's verdict.
                    let score = s
                        .score
                        .and_then(|k| k.parse::<u8>().ok())
                        .filter(|n| (1..=5).contains(n));
                    self.log(
                        tenant,
                        events::CallSurveyed::id(&call_id),
                        events::CallSurveyed {
                            call_id,
                            agent_id: s.agent,
                            score,
                            segment,
                        },
                    )
                    .await;
                    return;
                }
                let by = match by {
                    Party::Caller => "caller",
                    Party::Agent => "agent",
                    Party::System => "system",
                };
                let media = events::MediaCounts {
                    caller_received: media.caller_received,
                    caller_lost: media.caller_lost,
                    caller_late: media.caller_late,
                    agent_received: media.agent_received,
                    agent_lost: media.agent_lost,
                    agent_late: media.agent_late,
                    strangers: media.strangers,
                };
                let key = call_id.clone();
                let (by2, reason2) = (by.to_string(), reason.clone());
                let followed = self
                    .0
                    .center(t, move |c| {
                        let Some(call) = c.call_id(&key) else {
                            return false;
                        };
                        if let Some(r) = c.call_mut(&key) {
                            // A callback keeps its place until an agent has placed it.
                            if r.callback && r.answered_ms.is_none() {
                                return true;
                            }
                            r.ended_by = Some((by2, reason2));
                            r.media = Some(media);
                        }
                        let now = c.now;
                        c.acd.handle_hangup(now, call).is_ok()
                    })
                    .await
                    .unwrap_or(false);
                if followed {
                    return;
                }
                for user in agent.into_iter().chain(ringing) {
                    // Placed from the desktop, or rung at an extension: the phone can be
                    // offered calls again.
                    self.engaged(tenant, user, false).await;
                }
                // Not the routing engine's: the IVR ended it, an extension took it, or an
                // agent placed it. Its record is written here.
                let now = self.0.now_ms();
                let outcome = match (outbound, agent, segment) {
                    (true, _, _) => events::Outcome::Outbound,
                    (false, Some(_), _) => events::Outcome::Answered,
                    (false, None, 0) => events::Outcome::Ivr,
                    (false, None, _) => events::Outcome::Abandoned,
                };
                let talk_ms = connected_at_ms.map_or(0, |at| (now - at).max(0));
                let customer_segment = self.customer_segment(t, customer).await;
                self.log(
                    tenant,
                    events::CallEnded::id(&call_id, segment),
                    events::CallEnded {
                        call_id,
                        caller: phone::normalize(&caller, None)
                            .map_or(caller, |p| p.as_str().to_string()),
                        customer_id: customer,
                        queue: String::new(),
                        first_queue: String::new(),
                        agent_id: agent,
                        offered_to: ringing,
                        arrived_at_ms,
                        answered_at_ms: connected_at_ms,
                        ended_at_ms: now,
                        wait_ms: 0,
                        talk_ms,
                        ring_ms: 0,
                        hold_ms: 0,
                        ivr_ms,
                        dialled,
                        recording: recording.map(|p| p.display().to_string()),
                        ended_by: Some(by.to_string()),
                        end_reason: Some(reason),
                        media: Some(media),
                        outcome,
                        segment,
                        transferred_to: None,
                        customer_segment,
                    },
                )
                .await;
            }
            Report::Announced {
                call_id,
                ahead,
                wait_s,
            } => {
                // Each announcement is its own event (a call may hear several).
                let id = events::CallAnnounced::id(&call_id, self.0.now_ms());
                self.log(
                    tenant,
                    id,
                    events::CallAnnounced {
                        call_id,
                        ahead,
                        wait_s,
                    },
                )
                .await;
            }
            Report::Consult {
                call_id,
                agent,
                expert,
                to,
                state,
            } => {
                let status = match state {
                    ConsultState::Failed(status) => Some(status),
                    _ => None,
                };
                self.log(
                    tenant,
                    events::CallConsult::id(&call_id, expert, state.name(), self.0.now_ms()),
                    events::CallConsult {
                        call_id,
                        agent_id: agent,
                        expert_id: expert,
                        to,
                        state: state.name().to_string(),
                        status,
                    },
                )
                .await;
                if matches!(state, ConsultState::Cancelled | ConsultState::Failed(_)) {
                    self.engaged(tenant, expert, false).await;
                }
            }
            Report::Reachable { user, .. } => {
                // The registration changed; the center asks telephony and decides.
                self.engine(tenant, "phone registration", move |c| {
                    c.refresh_phone(user);
                    Ok(())
                })
                .await;
            }
        }
    }
}
