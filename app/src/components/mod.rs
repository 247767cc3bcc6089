//! UI pieces the pages share.

mod feedback;
mod menu;
mod picker;
mod switch;
mod topbar;

pub use feedback::{error_text, ErrorNotice, Loading, RequireSignIn};
pub use menu::{ActionsMenu, Menu};
pub use picker::PrincipalPicker;
pub use switch::Switch;
pub use topbar::TopBar;
