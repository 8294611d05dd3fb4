//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "worklife",
    version,
    about = "Anonymous team-level burnout surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Score a CSV file of answer sheets and write CSV to stdout.
    Score(ScoreArgs),
    /// Check, show, import and list instruments.
    #[command(subcommand)]
    Instrument(InstrumentCommand),
    /// Apply pending database migrations.
    Migrate,
    /// Import or export the roster.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Create, open, close and inspect survey waves.
    #[command(subcommand)]
    Wave(WaveCommand),
    /// Run the web service.
    Serve(ServeArgs),
    /// Fill an empty database with a demo organisation and survey waves.
    Demo(DemoArgs),
    /// Add, list and update the action items of a unit's action plan.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Copy the SQLite database to FILE while the service runs (online, consistent).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Add users who read reports.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for automation.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The audit log of report views and exports.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Reports of a closed wave, from its suppressed release.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Email delivery.
    #[command(subcommand)]
    Mail(MailCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from stdin with --password-stdin, else generated
    /// and printed once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The manager's unit path (managers only).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        /// An emergency admin who may sign in with a password while password sign-in is off
        /// (`auth.password = false`, single sign-on only). Admins only.
        #[arg(long)]
        break_glass: bool,
    },
    /// List users: email, role and a manager's unit.
    List,
    /// Remove a user: their sessions and API tokens stop working at once.
    Remove {
        #[arg(long)]
        email: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    Admin,
    Viewer,
    Manager,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a bearer token for a user; printed once, stored only as its SHA-256.
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for, shown by `token list` (e.g. "BI export").
        #[arg(long, default_value = "")]
        name: String,
        /// When it stops working: `90d` (days from now, the default), a date
        /// (`2027-03-31`, the end of that day UTC), or `never`.
        #[arg(long, default_value = "90d")]
        expires: String,
    },
    /// List API tokens: id, owner, name, created, last used, expiry (never the token).
    List,
    /// Revoke a token by the id `token list` shows: it gets 401 from the next request on.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print the audit log, oldest first.
    List,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[arg(long)]
    pub wave: String,
    /// A report attribute of the wave to cut by.
    #[arg(long)]
    pub attribute: Option<String>,
    #[arg(long, value_enum)]
    pub format: ReportFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The heat map: units x scales.
    Heatmap(ReportArgs),
    /// The burnout-profile distribution per unit.
    Profiles(ReportArgs),
    /// A unit's action plan: focus areas, action items and suggested actions.
    ActionPlan {
        #[arg(long)]
        wave: String,
        /// Unit path from the root, e.g. `Acme/Engineering`.
        #[arg(long)]
        unit: String,
        #[arg(long, value_enum)]
        format: PlanFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Deliver every email that is due, then exit (for cron when no server runs).
    Send,
}

#[derive(Subcommand, Debug)]
pub enum RosterCommand {
    /// Import `email,unit[,attribute...]`; the whole file is checked before anything is written.
    Import {
        file: PathBuf,
        /// Report what would change without writing.
        #[arg(long)]
        dry_run: bool,
        /// Remove people who are not in the file.
        #[arg(long)]
        prune: bool,
    },
    /// Write the roster as CSV to stdout.
    Export,
}

#[derive(Subcommand, Debug)]
pub enum WaveCommand {
    /// Schedule a wave.
    Create(WaveCreateArgs),
    /// Open a wave now: snapshot the tree, queue the invitations and send them.
    Open {
        name: String,
        /// Only queue the invitations (the server's worker or `mail send` delivers them).
        #[arg(long)]
        no_send: bool,
    },
    /// Queue a reminder now to everyone invited who has not answered, and send it.
    Remind { name: String },
    /// Close a wave: destroy tokens and who-answered records, shuffle the responses.
    Close { name: String },
    /// List waves.
    List,
    /// Invited, responded and response rate per unit; for a closed wave, its disclosure audit.
    Status { name: String },
    /// Audit a closed wave's release again (it runs once at close) and list what it finds.
    Audit { name: String },
}

#[derive(clap::Args, Debug)]
pub struct WaveCreateArgs {
    pub name: String,
    /// Instrument id (newest version) or `id@version`.
    #[arg(long)]
    pub instrument: String,
    #[arg(long)]
    pub opens: String,
    #[arg(long)]
    pub closes: String,
    /// Minimum group size k (3 or more).
    #[arg(long = "min-group-size", default_value_t = 5)]
    pub min_group_size: i32,
    /// Comments show only where at least this many people wrote one (default 10, or k where
    /// k is larger; never below k).
    #[arg(long = "comment-min")]
    pub comment_min: Option<i32>,
    /// A roster column whose values cut the reports (repeatable).
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
    /// Let the server open, remind and close the wave at its times.
    #[arg(long)]
    pub auto: bool,
    /// Repeat the wave (implies --auto): `quarter` schedules the next wave when one opens.
    #[arg(long)]
    pub every: Option<String>,
    /// Reminder times (implies --auto): `N%` of the window after opening or `2d`, `12h`,
    /// `30m`, `45s` before closing, comma-separated, at most three, or `none`
    /// [default: the `mail.reminders` setting, 50%,2d].
    #[arg(long)]
    pub reminders: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (overrides `bind` in the settings); port 0 picks a free port.
    #[arg(long)]
    pub bind: Option<String>,
    /// On an empty database, create the demo organisation first.
    #[arg(long)]
    pub demo: bool,
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Seed for the synthetic organisation and answers.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

#[derive(clap::Args, Debug)]
pub struct ScoreArgs {
    /// An instrument TOML file, or the id of a built-in instrument.
    #[arg(long)]
    pub instrument: String,
    /// CSV of answer sheets: item-id columns hold answers, other columns pass through.
    #[arg(long)]
    pub responses: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub output: ScoreOutput,
    /// Minimum group size k for heatmap and profiles (3 or more).
    #[arg(long = "min-group-size", value_name = "K")]
    pub min_group_size: Option<usize>,
    /// A column whose values cut the heatmap and profiles (repeatable).
    #[arg(long = "attribute", value_name = "COLUMN")]
    pub attributes: Vec<String>,
    /// The wave name written into heatmap and profiles rows.
    #[arg(long)]
    pub wave: Option<String>,
    /// CSV of how many people were invited: columns `unit`, one per `--attribute`, and
    /// `invited`, one row per unit and combination of values. With it the release also
    /// protects counts against a reader who knows these numbers (docs/privacy.md D7, P1).
    #[arg(long, value_name = "FILE")]
    pub invited: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreOutput {
    /// One row per answer sheet: passthrough columns, scale scores, profile.
    Respondents,
    /// Item statistics.
    Items,
    /// Scale statistics.
    Scales,
    /// The suppressed heat map of units x scales.
    Heatmap,
    /// The suppressed burnout-profile distribution per unit.
    Profiles,
}

#[derive(Subcommand, Debug)]
pub enum InstrumentCommand {
    /// Validate an instrument file and list every problem.
    Check { file: PathBuf },
    /// Print a built-in instrument (or a file) as TOML.
    Show { instrument: String },
    /// Store an instrument file in the database.
    Import { file: PathBuf },
    /// List the instruments in the database.
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Csv,
    Md,
}

#[derive(Subcommand, Debug)]
pub enum ActionCommand {
    /// Add an action item to a unit's plan; prints its id.
    Add {
        #[arg(long)]
        unit: String,
        /// workload, control, reward, community, fairness or values.
        #[arg(long)]
        area: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        owner: String,
        /// YYYY-MM-DD.
        #[arg(long, default_value = "")]
        due: String,
        #[arg(long, default_value = "")]
        notes: String,
        /// not_started (default), in_progress, done or dropped.
        #[arg(long, default_value = "")]
        status: String,
        /// The wave whose results led to the item.
        #[arg(long)]
        wave: Option<String>,
    },
    /// List a unit's action items (that unit only), oldest first.
    List {
        #[arg(long)]
        unit: String,
    },
    /// Change an item's status: not_started, in_progress, done or dropped.
    SetStatus {
        id: String,
        status: String,
        /// Replace the item's notes.
        #[arg(long)]
        notes: Option<String>,
    },
}
