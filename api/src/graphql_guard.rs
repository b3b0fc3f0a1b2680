//! Checks on every GraphQL operation besides the schema's depth and
//! complexity limits: over the WebSocket only subscriptions run, and a
//! costly query counts against the caller's rate limit for more than one
//! request.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensions, Pos, ServerError, ServerResult, ValidationResult, Variables};
use termino_app::App;

use crate::graphql_ws::SocketSession;
use crate::rest::rate_limit::{RateBucket, WINDOW, too_many};

/// A query counts one request more for each this much of its complexity.
pub const COMPLEXITY_PER_REQUEST: usize = 100;

pub struct Guard;

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard)
    }
}

fn coded(message: String, code: &'static str) -> ServerError {
    async_graphql::Error::new(message)
        .extend_with(|_, e| e.set("code", code))
        .into_server_error(Pos::default())
}

#[async_trait::async_trait]
impl Extension for Guard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // Queries and mutations go over POST, where they are rate-limited
        // one by one and a cookie needs its CSRF token.
        if ctx.data_opt::<Arc<SocketSession>>().is_some()
            && document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Subscription)
        {
            return Err(coded(
                "Only subscriptions are served over the WebSocket; send queries and mutations with POST /graphql.".into(),
                "subscriptions-only",
            ));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let extra = (result.complexity / COMPLEXITY_PER_REQUEST) as u64;
        if let (Some(bucket), Some(app)) = (ctx.data_opt::<RateBucket>(), ctx.data_opt::<App>())
            && extra > 0
            // If the store is down, serve, as the request limit does.
            && let Ok((count, reset)) = app.kv().hit_by(&bucket.key, extra, WINDOW).await
            && count > bucket.limit
        {
            let problem = too_many(bucket.limit, reset);
            return Err(vec![coded(
                format!(
                    "{} A query counts one request more for each {COMPLEXITY_PER_REQUEST} of its complexity.",
                    problem.detail.unwrap_or_default()
                ),
                "rate-limited",
            )]);
        }
        Ok(result)
    }
}
