//! What each role may do. Every endpoint names one permission (the route table in
//! `routes.rs`); this table is the only place that says which roles have it.

use store::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Perm {
    /// Any logged-in user: their own session, password and tokens.
    Session,
    /// Platform: create and list tenants.
    ManageTenants,
    /// A tenant's users and roles.
    ManageUsers,
    /// Read the audit log (of the tenant, or of the platform).
    ViewAudit,
    ViewCustomers,
    EditCustomers,
    /// Find duplicates and merge customer records (and undo merges).
    MergeCustomers,
    /// Unmasked protected personal data: ID numbers, bank details. Every view is audited.
    ViewProtected,
    /// Live events (the WebSocket) and the event log.
    ViewEvents,
    /// Change skills, queues, teams and agents' routing profiles.
    ManageConfig,
    /// Read the configuration.
    ViewConfig,
    /// Sign in to queues and take contacts: one's own agent state.
    TakeContacts,
    /// The floor: every agent's state.
    ViewFloor,
    /// Act on the floor: set an agent not ready or sign them out (audited).
    ManageFloor,
    /// The center's settings: wrap-up codes, the floor's thresholds.
    ViewSettings,
    /// Import customers from spreadsheets and export them.
    ImportExport,
    /// Every call's record (the call list): team leads, quality inspectors, experts.
    ViewCalls,
    /// The tenant's directory: queues by name, and who takes calls with their presence.
    ViewDirectory,
    /// A dealer's own customers: those of the regions they serve, with only what a dealer
    /// needs of them.
    DealerCustomers,
    /// Work orders: list them, read one and its timeline.
    ViewOrders,
    /// The front line's part of work orders: take them in, call customers back (回访), add
    /// a repeat call.
    WorkOrders,
    /// A handler's part: accept, return, wait, on the way, on site, resolve.
    HandleOrders,
    /// A lead's part: dispatch, re-dispatch (改派) as its reviewer, merge (并单).
    ManageOrders,
    /// Close an order without its callback (audited).
    OverrideOrders,
    /// Post, extend and end incidents (a burst main): what callers of an area hear first.
    ManageIncidents,
    /// Keep a copy of a call's recording on its work order (those who may hear calls and
    /// work orders: team leads, experts, managers).
    AttachRecordings,
    /// Play calls' recordings (every listen audited): managers, team leads, quality
    /// inspectors, and experts their own calls.
    ListenRecordings,
    /// Reports (报表) and the glossary of their metrics: managers, team leads, quality.
    ViewReports,
    /// Search and read the knowledge base (the front line: published articles only).
    SearchKnowledge,
    /// Write articles and send them for review: experts, team leads, administrators.
    EditKnowledge,
    /// Publish, archive and bring back articles: experts and administrators.
    PublishKnowledge,
    /// The center's sales leads: capture them on a call, list them, work those the center
    /// keeps (agents, team leads, administrators).
    WorkLeads,
    /// Give leads to dealers and take them back, leads' settings and the contact policy,
    /// the dealers' scorecard and the agents' credit (team leads, administrators).
    ManageLeads,
    /// A dealer's own leads, with only what a dealer needs of the customer.
    DealerLeads,
}

impl Perm {
    pub fn as_str(self) -> &'static str {
        match self {
            Perm::Session => "session",
            Perm::ManageTenants => "manage_tenants",
            Perm::ManageUsers => "manage_users",
            Perm::ViewAudit => "view_audit",
            Perm::ViewCustomers => "view_customers",
            Perm::EditCustomers => "edit_customers",
            Perm::MergeCustomers => "merge_customers",
            Perm::ViewProtected => "view_protected",
            Perm::ViewEvents => "view_events",
            Perm::ManageConfig => "manage_config",
            Perm::ViewConfig => "view_config",
            Perm::TakeContacts => "take_contacts",
            Perm::ViewFloor => "view_floor",
            Perm::ManageFloor => "manage_floor",
            Perm::ViewSettings => "view_settings",
            Perm::ImportExport => "import_export",
            Perm::ViewCalls => "view_calls",
            Perm::ViewDirectory => "view_directory",
            Perm::DealerCustomers => "dealer_customers",
            Perm::ViewOrders => "view_orders",
            Perm::WorkOrders => "work_orders",
            Perm::HandleOrders => "handle_orders",
            Perm::ManageOrders => "manage_orders",
            Perm::OverrideOrders => "override_orders",
            Perm::ManageIncidents => "manage_incidents",
            Perm::AttachRecordings => "attach_recordings",
            Perm::ViewReports => "view_reports",
            Perm::ListenRecordings => "listen_recordings",
            Perm::SearchKnowledge => "search_kb",
            Perm::EditKnowledge => "edit_kb",
            Perm::PublishKnowledge => "publish_kb",
            Perm::WorkLeads => "work_leads",
            Perm::ManageLeads => "manage_leads",
            Perm::DealerLeads => "dealer_leads",
        }
    }

    /// Whether a permission is about one tenant's data (and so needs a tenant user). The
    /// audit log is both: a tenant's users read theirs, the platform administrator the
    /// platform's.
    pub fn tenant_scoped(self) -> bool {
        !matches!(self, Perm::Session | Perm::ManageTenants | Perm::ViewAudit)
    }
}

/// The permissions of a role.
pub fn grants(role: Role) -> &'static [Perm] {
    use Perm::*;
    match role {
        Role::PlatformAdmin => &[Session, ManageTenants, ViewAudit],
        Role::TenantAdmin => &[
            Session,
            ViewDirectory,
            ManageUsers,
            ViewAudit,
            ViewCustomers,
            EditCustomers,
            MergeCustomers,
            ViewProtected,
            ViewEvents,
            ManageConfig,
            ViewConfig,
            ViewFloor,
            ManageFloor,
            ViewSettings,
            ImportExport,
            ViewCalls,
            ViewOrders,
            WorkOrders,
            HandleOrders,
            ManageOrders,
            OverrideOrders,
            ManageIncidents,
            AttachRecordings,
            ViewReports,
            ListenRecordings,
            SearchKnowledge,
            EditKnowledge,
            PublishKnowledge,
            WorkLeads,
            ManageLeads,
        ],
        // Team leads (班组长) take calls on a busy floor too.
        Role::Supervisor => &[
            Session,
            ViewDirectory,
            ViewCustomers,
            EditCustomers,
            MergeCustomers,
            ViewEvents,
            ViewConfig,
            TakeContacts,
            ViewFloor,
            ManageFloor,
            ViewSettings,
            ImportExport,
            ViewCalls,
            ViewOrders,
            WorkOrders,
            HandleOrders,
            ManageOrders,
            ManageIncidents,
            AttachRecordings,
            ViewReports,
            ListenRecordings,
            SearchKnowledge,
            EditKnowledge,
            WorkLeads,
            ManageLeads,
        ],
        Role::Agent => &[
            Session,
            ViewDirectory,
            ViewCustomers,
            EditCustomers,
            ViewEvents,
            TakeContacts,
            ViewSettings,
            ViewOrders,
            WorkOrders,
            SearchKnowledge,
            WorkLeads,
        ],
        // Second-line experts (二线专家) take the calls agents pass them, and look back at
        // the calls they took (the call list shows an expert only their own).
        Role::Expert => &[
            Session,
            ViewDirectory,
            ViewCustomers,
            EditCustomers,
            ViewEvents,
            TakeContacts,
            ViewSettings,
            ViewCalls,
            ViewOrders,
            WorkOrders,
            HandleOrders,
            AttachRecordings,
            ListenRecordings,
            SearchKnowledge,
            EditKnowledge,
            PublishKnowledge,
        ],
        Role::QualityInspector => &[
            Session,
            ViewDirectory,
            ViewCustomers,
            ViewEvents,
            ViewFloor,
            ViewSettings,
            ViewCalls,
            ViewOrders,
            ViewReports,
            ListenRecordings,
            SearchKnowledge,
        ],
        // Finance and the other back-office departments see what the front line may not.
        Role::BackOffice => &[
            Session,
            ViewDirectory,
            ViewCustomers,
            EditCustomers,
            ViewProtected,
            ViewEvents,
            ImportExport,
            ViewOrders,
            WorkOrders,
            HandleOrders,
            SearchKnowledge,
        ],
        // Dealers see only the customers of their regions and their own leads.
        Role::Dealer => &[Session, DealerCustomers, DealerLeads],
    }
}

pub fn allows(role: Role, perm: Perm) -> bool {
    grants(role).contains(&perm)
}

/// Whether a role sees every event of its tenant, or only those without an addressee and
/// those addressed to the user.
pub fn sees_all_events(role: Role) -> bool {
    matches!(role, Role::TenantAdmin | Role::Supervisor)
}
