//! Invitations across the whole instance: [`InstanceInvitations`].

use std::num::NonZeroU64;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::client::Client;
use crate::error::{Error, ValidationError};
use crate::models::{InvitationStatus, OrganizationInvitation};
use crate::operation::Operation;
use crate::pagination::{self, DEFAULT_STREAM_PAGE, Page};
use crate::validate;

/// Every organization's invitations; see [`Client::organization_invitations`].
#[derive(Debug, Clone)]
pub struct InstanceInvitations {
    client: Client,
}

impl InstanceInvitations {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists invitations of all organizations; each carries `public_organization_data`.
    pub fn list(&self) -> ListInstanceInvitations {
        ListInstanceInvitations {
            client: self.client.clone(),
            status: None,
            query: None,
            order_by: None,
            limit: None,
            offset: None,
        }
    }
}

/// Lists the instance's invitations; see [`InstanceInvitations::list`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListInstanceInvitations {
    client: Client,
    status: Option<InvitationStatus>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl ListInstanceInvitations {
    /// Only invitations with this status.
    pub fn status(mut self, status: impl Into<InvitationStatus>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Only invitations whose email address contains this text.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Sort order, e.g. `-created_at` (Clerk's default) or `+email_address`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Page size, 1 to 500 (Clerk's default is 10; `stream()` uses 100 unless set).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Items to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(status) = &self.status {
            validate::role("status", status.as_str())?;
        }
        if let Some(query) = &self.query {
            validate::text("query", query)?;
        }
        if let Some(order_by) = &self.order_by {
            validate::order_by(order_by)?;
        }
        if let Some(limit) = self.limit {
            validate::limit(limit)?;
        }
        Ok(())
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
        self.validate()?;
        let raw = self
            .client
            .execute(Operation::ListInstanceInvitations, |t| {
                let mut request = t.sys.list_instance_organization_invitations();
                if let Some(status) = &self.status {
                    request = request.status(status.as_str());
                }
                if let Some(query) = &self.query {
                    request = request.query(query.as_str());
                }
                if let Some(order_by) = &self.order_by {
                    request = request.order_by(order_by.as_str());
                }
                if let Some(limit) = self.limit.and_then(NonZeroU64::new) {
                    request = request.limit(limit);
                }
                if let Some(offset) = self.offset {
                    request = request.offset(offset);
                }
                request.send()
            })
            .await?;
        Ok(Page::new(
            raw.data
                .into_iter()
                .map(OrganizationInvitation::from_raw_with_organization)
                .collect(),
            raw.total_count,
        ))
    }

    /// Every matching invitation from `offset` on, fetched lazily page by page.
    pub fn stream(self) -> BoxStream<'static, Result<OrganizationInvitation, Error>> {
        let start = self.offset.unwrap_or(0);
        let page_size = self.limit.unwrap_or(DEFAULT_STREAM_PAGE);
        pagination::paginate(start, page_size, move |offset, limit| {
            let mut page = self.clone();
            page.offset = Some(offset);
            page.limit = Some(limit);
            page.send()
        })
        .boxed()
    }
}
