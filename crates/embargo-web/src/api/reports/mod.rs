//! Reports: intake (anonymous or signed in), the thread, transitions and
//! the team's fields.

mod bodies;
mod conversation;
mod intake;
mod list;
mod shares;
mod show;
mod transitions;

pub(crate) use bodies::*;
pub(crate) use conversation::*;
pub(crate) use intake::*;
pub(crate) use list::*;
pub(crate) use shares::*;
pub(crate) use show::*;
pub(crate) use transitions::*;
