//! The admin's building blocks, one per file. Layout and display are Polaris web components
//! (`<s-page>`, `<s-section>`, `<s-button>`, `<s-badge>`, `<s-banner>`, `<s-table>`,
//! `<s-modal>`): inside Shopify admin the real ones from Shopify's CDN render them; in dev mode
//! and in tests the local stylesheet (Polaris design tokens) makes the same markup readable.
//! Form controls are native inputs styled with the same tokens, so the one markup behaves the
//! same with and without the CDN (see ARCHITECTURE.md, "The admin's components").

mod confirm;
mod field;
mod load;
mod page;
mod save_bar;
mod status;
mod table;
mod toast;

pub use confirm::Confirm;
pub use field::{Checkbox, Select, TextField, field_error};
pub use load::{EmptyState, ErrorBanner, Loaded, Loading, sentence};
pub use page::{Page, Section};
pub use save_bar::SaveBar;
pub use status::StatusBadge;
pub use table::TableHead;
pub use toast::{ToastHost, toast};
