//! The plan: a pure function of (desired, observed) → ordered steps.
//!
//! Resources have stable ids (`kind/name`) and flat attribute maps that hold
//! no secret, only names of keychain entries, so a plan can be shown as is.
//! Steps come out in dependency order: deletions first, dependents before
//! what they depend on; then creations and updates, dependencies first.
//! No I/O happens here; the wizard's review page and `slipway plan` render it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A stable resource id, such as `aws.iam_user/slipway-ecr-pusher`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceId {
    pub kind: String,
    pub name: String,
}

impl ResourceId {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

pub type Attributes = BTreeMap<String, String>;

/// What the team wants to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredResource {
    pub id: ResourceId,
    pub depends_on: Vec<ResourceId>,
    pub attributes: Attributes,
}

/// What a provider found in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedResource {
    pub id: ResourceId,
    pub depends_on: Vec<ResourceId>,
    pub attributes: Attributes,
    /// Carries Slipway's marker for this install (tag, label, header comment).
    /// Only owned resources are ever updated or deleted.
    pub owned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    NoOp,
}

/// One attribute that differs between desired and observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub attribute: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A unified diff, for multi-line values (a workflow file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub resource: ResourceId,
    pub action: Action,
    /// Why this step is in the plan, in words.
    pub reason: String,
    pub changes: Vec<AttributeChange>,
    /// The desired attributes (empty for a deletion).
    pub attributes: Attributes,
    /// Resources whose steps must succeed before this one may run.
    pub after: Vec<ResourceId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// Steps that change something.
    pub fn changes(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action != Action::NoOp)
    }

    /// True when applying would change nothing.
    pub fn is_noop(&self) -> bool {
        self.changes().next().is_none()
    }

    /// Counts of each action, for summaries ("2 to create, 1 to delete").
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for step in &self.steps {
            match step.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Delete => s.delete += 1,
                Action::NoOp => s.unchanged += 1,
            }
        }
        s
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl fmt::Display for PlanSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to delete, {} unchanged",
            self.create, self.update, self.delete, self.unchanged
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error("{0} is listed twice in the desired state")]
    DuplicateId(ResourceId),
    #[error("{resource} depends on {missing}, which is neither desired nor present")]
    MissingDependency {
        resource: ResourceId,
        missing: ResourceId,
    },
    #[error("dependency cycle between {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<ResourceId>),
    #[error("{0} already exists but Slipway did not create it (it has no Slipway marker). Choose another name in Slipway's settings, or remove or adopt the existing one explicitly")]
    NotOwned(ResourceId),
}

/// Computes the plan. Pure: the same inputs always give the same steps.
pub fn plan(desired: &[DesiredResource], observed: &[ObservedResource]) -> Result<Plan, PlanError> {
    plan_adopting(desired, observed, &BTreeSet::new())
}

/// Like [`plan`], but resources listed in `adopt` that exist without
/// Slipway's marker are taken over (updated to carry the marker) instead of
/// refused. Adoption only happens when the user asks for it by id.
pub fn plan_adopting(
    desired: &[DesiredResource],
    observed: &[ObservedResource],
    adopt: &BTreeSet<ResourceId>,
) -> Result<Plan, PlanError> {
    let mut desired_by_id: HashMap<&ResourceId, &DesiredResource> = HashMap::new();
    for d in desired {
        if desired_by_id.insert(&d.id, d).is_some() {
            return Err(PlanError::DuplicateId(d.id.clone()));
        }
    }
    let observed_by_id: HashMap<&ResourceId, &ObservedResource> =
        observed.iter().map(|o| (&o.id, o)).collect();

    for d in desired {
        for dep in &d.depends_on {
            if !desired_by_id.contains_key(dep) && !observed_by_id.contains_key(dep) {
                return Err(PlanError::MissingDependency {
                    resource: d.id.clone(),
                    missing: dep.clone(),
                });
            }
        }
        if let Some(o) = observed_by_id.get(&d.id) {
            if !o.owned && !adopt.contains(&d.id) {
                return Err(PlanError::NotOwned(d.id.clone()));
            }
        }
    }

    // Deletions: owned resources nobody wants any more, dependents first.
    let doomed: Vec<&ObservedResource> = observed
        .iter()
        .filter(|o| o.owned && !desired_by_id.contains_key(&o.id))
        .collect();
    let doomed_ids: BTreeSet<&ResourceId> = doomed.iter().map(|o| &o.id).collect();
    let delete_order = topological(
        doomed.iter().map(|o| (&o.id, o.depends_on.as_slice())),
        &doomed_ids,
    )?;
    let mut steps = Vec::with_capacity(desired.len() + doomed.len());
    for id in delete_order.into_iter().rev() {
        // A deletion waits for the deletion of everything that depends on it.
        let after = doomed
            .iter()
            .filter(|o| o.depends_on.contains(id))
            .map(|o| o.id.clone())
            .collect();
        steps.push(Step {
            resource: id.clone(),
            action: Action::Delete,
            reason: "no longer in the desired state".into(),
            changes: Vec::new(),
            attributes: Attributes::new(),
            after,
        });
    }

    // Creations and updates, dependencies first.
    let desired_ids: BTreeSet<&ResourceId> = desired_by_id.keys().copied().collect();
    let order = topological(
        desired.iter().map(|d| (&d.id, d.depends_on.as_slice())),
        &desired_ids,
    )?;
    for id in order {
        let d = desired_by_id[id];
        let after = d
            .depends_on
            .iter()
            .filter(|dep| desired_ids.contains(dep))
            .cloned()
            .collect();
        let (action, reason, changes) = match observed_by_id.get(id) {
            None => (Action::Create, "does not exist yet".to_string(), Vec::new()),
            Some(o) if !o.owned => {
                let changes = diff_attributes(&o.attributes, &d.attributes);
                (
                    Action::Update,
                    "exists without Slipway's marker; adopting it as asked".to_string(),
                    changes,
                )
            }
            Some(o) => {
                let changes = diff_attributes(&o.attributes, &d.attributes);
                if changes.is_empty() {
                    (Action::NoOp, "up to date".to_string(), changes)
                } else {
                    let names: Vec<&str> = changes.iter().map(|c| c.attribute.as_str()).collect();
                    (
                        Action::Update,
                        format!("{} changed", names.join(", ")),
                        changes,
                    )
                }
            }
        };
        steps.push(Step {
            resource: id.clone(),
            action,
            reason,
            changes,
            attributes: d.attributes.clone(),
            after,
        });
    }
    Ok(Plan { steps })
}

/// Attributes whose values differ. Keys only observed are ignored: providers
/// may report more than the desired state pins down.
fn diff_attributes(observed: &Attributes, desired: &Attributes) -> Vec<AttributeChange> {
    desired
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| {
            let from = observed.get(k).cloned();
            let diff = match &from {
                Some(old) if old.contains('\n') || v.contains('\n') => Some(
                    similar::TextDiff::from_lines(old.as_str(), v.as_str())
                        .unified_diff()
                        .context_radius(2)
                        .header("now", "planned")
                        .to_string(),
                ),
                _ => None,
            };
            AttributeChange {
                attribute: k.clone(),
                from,
                to: Some(v.clone()),
                diff,
            }
        })
        .collect()
}

/// Kahn's algorithm over the given nodes; edges to nodes outside `members`
/// are ignored (they are satisfied already). Among the nodes ready at any
/// moment the earliest in the input goes first, so plans are stable.
/// O((n + e) log n).
fn topological<'a>(
    nodes: impl Iterator<Item = (&'a ResourceId, &'a [ResourceId])>,
    members: &BTreeSet<&'a ResourceId>,
) -> Result<Vec<&'a ResourceId>, PlanError> {
    let nodes: Vec<(&ResourceId, &[ResourceId])> = nodes.collect();
    let index: HashMap<&ResourceId, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut waiting_for = vec![0usize; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, (_, deps)) in nodes.iter().enumerate() {
        for dep in deps.iter().filter(|d| members.contains(d)) {
            if let Some(&j) = index.get(dep) {
                waiting_for[i] += 1;
                dependents[j].push(i);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| waiting_for[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop_first() {
        order.push(nodes[i].0);
        for &d in &dependents[i] {
            waiting_for[d] -= 1;
            if waiting_for[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() < nodes.len() {
        let stuck = (0..nodes.len())
            .filter(|&i| waiting_for[i] > 0)
            .map(|i| nodes[i].0.clone())
            .collect();
        return Err(PlanError::Cycle(stuck));
    }
    Ok(order)
}

#[cfg(test)]
pub(crate) mod tests;
