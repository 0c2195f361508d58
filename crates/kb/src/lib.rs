//! The knowledge base's index and search (issue 24): Chinese analysis that finds what
//! peers lose ([`analysis`]) and a tenant's articles in a tantivy index ranked by field and
//! cut ([`index`]). Articles themselves live in the store; an index is made from them.

pub mod analysis;
pub mod index;

pub use index::{Article, Hit, KbError, KbIndex, Search, Weights};

/// Where an article is in its life: written, reviewed by an expert, published for the
/// front line (and the public, when public), archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    Review,
    Published,
    Archived,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Review,
        Status::Published,
        Status::Archived,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether an article may move from `self` to `to`, and whether that takes one who
    /// may publish (an expert): sent for review and sent back by anyone who writes;
    /// published, and archived or brought back, by a publisher. Staying put is an edit: of
    /// a published article, a publisher's only (others write a draft of it for review).
    pub fn may_move(self, to: Status, publisher: bool) -> bool {
        use Status::*;
        match (self, to) {
            (a, b) if a == b => a != Archived && (a != Published || publisher),
            (Draft, Review) | (Review, Draft) => true,
            (Draft | Review, Published) | (Published, Archived) | (Archived, Draft) => publisher,
            (Published, Draft) => publisher,
            _ => false,
        }
    }
}

#[cfg(test)]
mod status_tests {
    use super::Status::{self, *};

    #[test]
    fn writers_send_for_review_and_publishers_publish() {
        assert!(Draft.may_move(Review, false));
        assert!(Review.may_move(Draft, false));
        assert!(!Review.may_move(Published, false));
        assert!(Review.may_move(Published, true));
        assert!(Draft.may_move(Published, true));
        assert!(!Published.may_move(Archived, false));
        assert!(Published.may_move(Archived, true));
        assert!(!Archived.may_move(Archived, true));
        assert!(!Archived.may_move(Published, true));
        assert!(Archived.may_move(Draft, true));
        assert!(!Published.may_move(Published, false));
        assert!(Published.may_move(Published, true));
        assert!(Draft.may_move(Draft, false));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("gone"), None);
    }
}
