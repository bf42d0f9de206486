//! The coordinator rotation a project's team keeps: reports nobody took up
//! after some idle days are assigned to the next coordinator in turn (round
//! robin), skipping those marked away.

use crate::id::{ProjectId, UserId};

/// One coordinator in the rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coordinator {
    /// The team member.
    pub user: UserId,
    /// Away: skipped until back.
    pub away: bool,
}

/// A project's rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The project.
    pub project: ProjectId,
    /// Days a report may sit unassigned without activity before it is assigned.
    pub idle_days: u32,
    /// The coordinators, in turn order.
    pub coordinators: Vec<Coordinator>,
    /// Whose turn is next (an index into `coordinators`, wrapping).
    pub next_turn: u32,
}

/// The longest idle time a rotation may wait, in days.
pub const MAX_IDLE_DAYS: u32 = 365;

impl Rotation {
    /// Whose turn it is among those `eligible` (still on the team) and not
    /// away, starting at `next_turn`, with the turn after theirs; `None` when nobody can take it.
    pub fn next(&self, eligible: impl Fn(UserId) -> bool) -> Option<(UserId, u32)> {
        let count = self.coordinators.len();
        let start = usize::try_from(self.next_turn).ok()? % count.max(1);
        (0..count).map(|step| (start + step) % count).find_map(|index| {
            let coordinator = self.coordinators.get(index)?;
            let after = u32::try_from((index + 1) % count).ok()?;
            (!coordinator.away && eligible(coordinator.user)).then_some((coordinator.user, after))
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    fn rotation(away: &[u128], next_turn: u32) -> Rotation {
        Rotation {
            project: ProjectId::from_uuid(Uuid::from_u128(9)),
            idle_days: 3,
            coordinators: (1..=3).map(|n| Coordinator { user: user(n), away: away.contains(&n) }).collect(),
            next_turn,
        }
    }

    #[test]
    fn turns_go_round_skipping_those_away() {
        let everyone = |_| true;
        assert_eq!(rotation(&[], 0).next(everyone), Some((user(1), 1)));
        assert_eq!(rotation(&[], 2).next(everyone), Some((user(3), 0)), "wraps around");
        assert_eq!(rotation(&[2], 1).next(everyone), Some((user(3), 0)), "skips the one away");
        assert_eq!(rotation(&[3], 2).next(everyone), Some((user(1), 1)));
        assert_eq!(rotation(&[1, 2, 3], 0).next(everyone), None, "everyone away");
        assert_eq!(rotation(&[], 7).next(everyone), Some((user(2), 2)), "a turn past the end wraps");
        assert_eq!(rotation(&[], 0).next(|u| u != user(1)), Some((user(2), 2)), "left the team: skipped");
        let empty = Rotation { coordinators: Vec::new(), ..rotation(&[], 0) };
        assert_eq!(empty.next(everyone), None);
    }
}
