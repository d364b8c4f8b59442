//! A limit on the fields at the top of one operation, for every schema. Complexity prices what
//! a field costs, but a cheap root field that reads the database (`shop`, `capture`) repeated
//! under a thousand aliases is a thousand reads for the price of a thousand cheap fields; no
//! screen or integration needs more than a handful at the top.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerResult, Variables};
use std::collections::HashSet;
use std::sync::Arc;

/// The most root fields (aliases included, through fragments) one operation may select.
pub struct RootFieldLimit(pub usize);

impl ExtensionFactory for RootFieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RootFieldLimitExtension(self.0))
    }
}

struct RootFieldLimitExtension(usize);

/// Fields of a selection set, counting through fragments. Each named fragment counts once per
/// operation (a spread repeated at the top merges into the same fields), which also means a
/// fragment cycle, refused by validation anyway, cannot loop here.
fn count(doc: &ExecutableDocument, set: &SelectionSet, seen: &mut HashSet<String>) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(f) => count(doc, &f.node.selection_set.node, seen),
            Selection::FragmentSpread(f) => {
                let name = f.node.fragment_name.node.to_string();
                match doc.fragments.get(&f.node.fragment_name.node) {
                    Some(fragment) if seen.insert(name) => count(doc, &fragment.node.selection_set.node, seen),
                    _ => 0,
                }
            }
        })
        .sum()
}

#[async_trait::async_trait]
impl Extension for RootFieldLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        for (_, op) in doc.operations.iter() {
            let fields = count(&doc, &op.node.selection_set.node, &mut HashSet::new());
            if fields > self.0 {
                return Err(super::error::server_error(
                    super::error::ErrorCode::Validation,
                    format!("at most {} fields at the top of one operation ({fields} asked)", self.0),
                ));
            }
        }
        Ok(doc)
    }
}
