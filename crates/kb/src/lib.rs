//! The knowledge base's index and search (issue 24): Chinese analysis that finds what
//! peers lose ([`analysis`]) and a tenant's articles in a tantivy index ranked by field and
//! cut ([`index`]). Articles themselves live in the store; an index is made from them.

pub mod analysis;
pub mod index;

pub use index::{Article, Hit, KbError, KbIndex, Search, Weights};
