//! IVR flows (语音导航) as data, and a pure interpreter that walks one caller through a flow.
//!
//! A flow is a set of named nodes: play a prompt, offer a menu, collect digits, branch (on
//! whether a calendar is open, on the caller's segment, on a collected value), and end in a
//! queue, a voicemail box, a callback request, a transfer or a hang-up. [`Flow::check`] finds
//! what would strand a caller — a missing node, a menu without a way out, a loop that never
//! waits for the caller — before the flow goes live.
//!
//! The interpreter is sans-IO, like the routing engine: the host (telephony) feeds it
//! `handle_*(now, …)` — the call started, a digit arrived, a prompt finished, a timer fired —
//! and drains [`Step`]s with [`Caller::poll_step`]; [`Caller::poll_timeout`] says when to call
//! back. What a branch needs from the world (is this calendar open now?) comes through
//! [`Env`]. No clock, no audio, no sockets.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// A flow: where it starts and its nodes by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// Play a prompt (a recording's name, or `tts:` text), then go on.
    Play { prompt: String, next: String },
    /// Play a prompt and wait for one key: `options` maps keys (`0`–`9`, `*`, `#`) to nodes.
    /// No key in `timeout_s`, or a key not offered, repeats the menu up to `retries` times
    /// (saying `invalid` first, if given), then goes to `fallback`.
    Menu {
        prompt: String,
        options: BTreeMap<String, String>,
        #[serde(default = "default_timeout")]
        timeout_s: f64,
        #[serde(default = "default_retries")]
        retries: u8,
        invalid: Option<String>,
        fallback: String,
    },
    /// Collect digits into a variable (an account number): up to `max` digits, ended early
    /// by `#`; fewer than `min` counts as no answer, which repeats like a menu.
    Collect {
        prompt: String,
        variable: String,
        min: u8,
        max: u8,
        #[serde(default = "default_timeout")]
        timeout_s: f64,
        #[serde(default = "default_retries")]
        retries: u8,
        next: String,
        fallback: String,
    },
    /// Go one way or the other.
    Branch {
        when: Condition,
        then: String,
        otherwise: String,
    },
    /// Hand the call to a queue (with the caller's priority added); the flow ends.
    Queue {
        queue: String,
        #[serde(default)]
        priority: i32,
    },
    /// Leave a message; the flow ends.
    Voicemail { mailbox: String },
    /// Ask to be called back by the queue; the flow ends.
    Callback { queue: String },
    /// Send the call to another number; the flow ends.
    Transfer { number: String },
    /// Say goodbye (optionally) and hang up; the flow ends.
    Hangup { prompt: Option<String> },
}

fn default_timeout() -> f64 {
    5.0
}

fn default_retries() -> u8 {
    2
}

/// What a branch asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The calendar (by key) is open now.
    Open { calendar: String },
    /// A variable equals a value: the caller's `segment` (set by the host from the screen-pop
    /// lookup), or a collected value.
    Equals { variable: String, value: String },
    /// A variable is set and not empty (the caller was recognised).
    Known { variable: String },
}

/// A flow a caller could get stuck in; `field` is where (`nodes.main.options.1`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is invalid: {reason}")]
pub struct FlowError {
    pub field: String,
    pub reason: String,
}

fn fail(field: impl Into<String>, reason: impl Into<String>) -> FlowError {
    FlowError {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Node {
    /// The nodes this one can go to.
    fn targets(&self) -> Vec<(&'static str, &String)> {
        match self {
            Node::Play { next, .. } => vec![("next", next)],
            Node::Menu {
                options, fallback, ..
            } => {
                let mut t: Vec<_> = options.values().map(|n| ("options", n)).collect();
                t.push(("fallback", fallback));
                t
            }
            Node::Collect { next, fallback, .. } => vec![("next", next), ("fallback", fallback)],
            Node::Branch {
                then, otherwise, ..
            } => vec![("then", then), ("otherwise", otherwise)],
            _ => vec![],
        }
    }
}

impl Flow {
    /// Checks that every path ends well: nodes exist, keys are keys, timeouts are sane, every
    /// node is reachable, and no loop runs without waiting for the caller. `queues`,
    /// `calendars` and `mailboxes` name what exists (queue keys and so on); `None` skips
    /// that check.
    pub fn check(
        &self,
        queues: Option<&[String]>,
        calendars: Option<&[String]>,
    ) -> Result<(), FlowError> {
        if !self.nodes.contains_key(&self.start) {
            return Err(fail("start", format!("no node `{}`", self.start)));
        }
        for (name, node) in &self.nodes {
            let at = |f: &str| format!("nodes.{name}.{f}");
            for (field, target) in node.targets() {
                if !self.nodes.contains_key(target) {
                    return Err(fail(at(field), format!("no node `{target}`")));
                }
            }
            match node {
                Node::Menu {
                    options, timeout_s, ..
                } => {
                    if options.is_empty() {
                        return Err(fail(at("options"), "a menu offers at least one key"));
                    }
                    for key in options.keys() {
                        if !matches!(
                            key.as_str(),
                            "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*" | "#"
                        ) {
                            return Err(fail(
                                format!("nodes.{name}.options.{key}"),
                                "keys are 0–9, * and #",
                            ));
                        }
                    }
                    check_timeout(&at("timeout_s"), *timeout_s)?;
                }
                Node::Collect {
                    min,
                    max,
                    timeout_s,
                    variable,
                    ..
                } => {
                    if *min == 0 || min > max || *max > 32 {
                        return Err(fail(at("max"), "1 ≤ min ≤ max ≤ 32"));
                    }
                    if variable.is_empty() {
                        return Err(fail(at("variable"), "name the variable"));
                    }
                    check_timeout(&at("timeout_s"), *timeout_s)?;
                }
                Node::Branch {
                    when: Condition::Open { calendar },
                    ..
                } => {
                    if let Some(known) = calendars
                        && !known.contains(calendar)
                    {
                        return Err(fail(
                            at("when.calendar"),
                            format!("no calendar `{calendar}`"),
                        ));
                    }
                }
                Node::Queue { queue, .. } | Node::Callback { queue } => {
                    if let Some(known) = queues
                        && !known.contains(queue)
                    {
                        return Err(fail(at("queue"), format!("no queue `{queue}`")));
                    }
                }
                Node::Play { prompt, .. } if prompt.is_empty() => {
                    return Err(fail(at("prompt"), "name a prompt"));
                }
                _ => {}
            }
        }
        // No cycle of branches alone: it would spin without the caller.
        let mut color = BTreeMap::new();
        if let Some(name) = self.nodes.keys().find(|n| self.branch_cycle(n, &mut color)) {
            return Err(fail(
                format!("nodes.{name}"),
                "branches loop without waiting for the caller",
            ));
        }
        // Every node reachable from the start.
        let mut seen = vec![self.start.clone()];
        let mut todo = vec![&self.start];
        while let Some(n) = todo.pop() {
            for (_, t) in self.nodes[n].targets() {
                if !seen.contains(t) {
                    seen.push(t.clone());
                    todo.push(t);
                }
            }
        }
        if let Some(orphan) = self.nodes.keys().find(|k| !seen.contains(k)) {
            return Err(fail(format!("nodes.{orphan}"), "no path leads here"));
        }
        Ok(())
    }

    /// Depth-first search over branch nodes only (grey = on the path, black = done).
    fn branch_cycle<'a>(&'a self, n: &'a String, color: &mut BTreeMap<&'a String, bool>) -> bool {
        let Some(Node::Branch {
            then, otherwise, ..
        }) = self.nodes.get(n)
        else {
            return false;
        };
        match color.get(n) {
            Some(false) => return true,
            Some(true) => return false,
            None => {}
        }
        color.insert(n, false);
        let found = self.branch_cycle(then, color) || self.branch_cycle(otherwise, color);
        color.insert(n, true);
        found
    }
}

fn check_timeout(field: &str, t: f64) -> Result<(), FlowError> {
    if t.is_finite() && (1.0..=60.0).contains(&t) {
        Ok(())
    } else {
        Err(fail(field, "1 to 60 seconds"))
    }
}

/// What the world tells a branch.
pub trait Env {
    fn calendar_open(&self, calendar: &str) -> bool;
}

/// What the host does for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Step {
    /// Play a prompt; keys pressed during it count (barge-in). Report the end with
    /// [`Caller::handle_played`].
    Play {
        prompt: String,
    },
    /// Stop the prompt playing (a key was pressed).
    StopPlaying,
    /// The flow is done: do this with the call.
    Queue {
        queue: String,
        priority: i32,
    },
    Voicemail {
        mailbox: String,
    },
    Callback {
        queue: String,
    },
    Transfer {
        number: String,
    },
    Hangup,
}

/// Where a caller is in a flow.
#[derive(Debug)]
pub struct Caller {
    flow: Flow,
    at: String,
    vars: BTreeMap<String, String>,
    /// The prompt of the current node is playing.
    playing: bool,
    digits: String,
    tries: u8,
    deadline: Option<u64>,
    steps: VecDeque<Step>,
    done: bool,
    /// Nodes entered, for the transcript and the loop guard.
    trail: Vec<String>,
}

impl Caller {
    /// A caller at the start of `flow` (which should have passed [`Flow::check`]), with
    /// what is known of them (`segment`, `customer_id`…).
    pub fn new(flow: Flow, vars: BTreeMap<String, String>) -> Caller {
        let at = flow.start.clone();
        Caller {
            flow,
            at,
            vars,
            playing: false,
            digits: String::new(),
            tries: 0,
            deadline: None,
            steps: VecDeque::new(),
            done: false,
            trail: Vec::new(),
        }
    }

    pub fn poll_step(&mut self) -> Option<Step> {
        self.steps.pop_front()
    }

    /// When [`Caller::handle_timeout`] is next due (milliseconds).
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadline
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// The nodes the caller went through.
    pub fn trail(&self) -> &[String] {
        &self.trail
    }

    /// The call is answered: the flow begins.
    pub fn handle_start(&mut self, _now: u64, env: &dyn Env) {
        let start = self.flow.start.clone();
        self.enter(&start, env);
    }

    /// A prompt finished playing.
    pub fn handle_played(&mut self, now: u64, env: &dyn Env) {
        if self.done || !self.playing {
            return;
        }
        self.playing = false;
        match self.node() {
            Some(Node::Play { next, .. }) => {
                let next = next.clone();
                self.enter(&next, env);
            }
            Some(Node::Menu { timeout_s, .. } | Node::Collect { timeout_s, .. }) => {
                self.deadline = Some(now + (timeout_s * 1000.0) as u64);
            }
            Some(Node::Hangup { .. }) => self.finish(Step::Hangup),
            _ => {}
        }
    }

    /// The caller pressed a key (`0`–`9`, `*`, `#`); other characters are ignored.
    pub fn handle_digit(&mut self, now: u64, key: char, env: &dyn Env) {
        if self.done || !matches!(key, '0'..='9' | '*' | '#') {
            return;
        }
        match self.node().cloned() {
            Some(Node::Menu { options, .. }) => {
                self.barge_in();
                match options.get(&key.to_string()) {
                    Some(target) => self.enter(&target.clone(), env),
                    None => self.retry(env, true),
                }
            }
            Some(Node::Collect {
                variable,
                min,
                max,
                next,
                ..
            }) => {
                self.barge_in();
                if key != '#' {
                    self.digits.push(key);
                }
                let full = self.digits.len() >= usize::from(max);
                if key == '#' || full {
                    if self.digits.len() >= usize::from(min) {
                        let value = std::mem::take(&mut self.digits);
                        self.vars.insert(variable, value);
                        self.enter(&next, env);
                    } else {
                        self.retry(env, true);
                    }
                } else if let Some(Node::Collect { timeout_s, .. }) = self.node() {
                    // Each key gives the caller the timeout again for the next one.
                    self.deadline = Some(now + (timeout_s * 1000.0) as u64);
                }
            }
            _ => {}
        }
    }

    /// A timer is due: the caller said nothing in time.
    pub fn handle_timeout(&mut self, now: u64, env: &dyn Env) {
        if self.deadline.is_some_and(|d| d <= now) {
            self.deadline = None;
            self.retry(env, false);
        }
    }

    fn node(&self) -> Option<&Node> {
        self.flow.nodes.get(&self.at)
    }

    fn barge_in(&mut self) {
        if self.playing {
            self.playing = false;
            self.steps.push_back(Step::StopPlaying);
        }
        self.deadline = None;
    }

    /// No (valid) answer: ask again, or give up to the fallback.
    fn retry(&mut self, env: &dyn Env, invalid: bool) {
        let Some(node) = self.node().cloned() else {
            return;
        };
        let (retries, fallback, prompt, sorry) = match node {
            Node::Menu {
                retries,
                fallback,
                prompt,
                invalid: sorry,
                ..
            } => (retries, fallback, prompt, sorry),
            Node::Collect {
                retries,
                fallback,
                prompt,
                ..
            } => (retries, fallback, prompt, None),
            _ => return,
        };
        self.digits.clear();
        if self.tries >= retries {
            self.enter(&fallback, env);
            return;
        }
        self.tries += 1;
        if invalid && let Some(s) = sorry {
            self.steps.push_back(Step::Play { prompt: s });
        }
        self.steps.push_back(Step::Play { prompt });
        self.playing = true;
    }

    fn finish(&mut self, step: Step) {
        self.steps.push_back(step);
        self.done = true;
        self.deadline = None;
        self.playing = false;
    }

    fn enter(&mut self, name: &str, env: &dyn Env) {
        // A flow that passed the check cannot loop here; one that did not is stopped.
        let mut name = name.to_string();
        for _ in 0..=self.flow.nodes.len() {
            self.at = name.clone();
            self.trail.push(name.clone());
            self.tries = 0;
            self.digits.clear();
            self.deadline = None;
            let Some(node) = self.flow.nodes.get(&name).cloned() else {
                self.finish(Step::Hangup);
                return;
            };
            match node {
                Node::Branch {
                    when,
                    then,
                    otherwise,
                } => {
                    let yes = match &when {
                        Condition::Open { calendar } => env.calendar_open(calendar),
                        Condition::Equals { variable, value } => {
                            self.vars.get(variable) == Some(value)
                        }
                        Condition::Known { variable } => {
                            self.vars.get(variable).is_some_and(|v| !v.is_empty())
                        }
                    };
                    name = if yes { then } else { otherwise };
                    continue;
                }
                Node::Play { prompt, .. }
                | Node::Menu { prompt, .. }
                | Node::Collect { prompt, .. } => {
                    self.steps.push_back(Step::Play { prompt });
                    self.playing = true;
                }
                Node::Hangup { prompt: Some(p) } => {
                    self.steps.push_back(Step::Play { prompt: p });
                    self.playing = true;
                }
                Node::Hangup { prompt: None } => self.finish(Step::Hangup),
                Node::Queue { queue, priority } => self.finish(Step::Queue { queue, priority }),
                Node::Voicemail { mailbox } => self.finish(Step::Voicemail { mailbox }),
                Node::Callback { queue } => self.finish(Step::Callback { queue }),
                Node::Transfer { number } => self.finish(Step::Transfer { number }),
            }
            return;
        }
        self.finish(Step::Hangup);
    }
}

#[cfg(test)]
mod tests;
