//! One user's organization invitations: [`UserInvitations`].
//!
//! Clerk files `GET /v1/users/{user_id}/organization_invitations` under the `Users` tag, which
//! this crate does not compile (it would pull in the whole users API). The request is written by
//! hand in [`Transport::get_json`](crate::transport::Transport), with the bindings' semantics,
//! and goes through the same [`Client::execute`] path and error mapping as every other call.

use futures::StreamExt;
use futures::stream::BoxStream;

use clerk_bapi_sys::types;

use crate::client::Client;
use crate::error::{Error, ValidationError};
use crate::models::{InvitationStatus, OrganizationInvitation};
use crate::operation::Operation;
use crate::pagination::{self, DEFAULT_STREAM_PAGE, Page};
use crate::validate;

/// One user; see [`Client::user`].
#[derive(Debug, Clone)]
pub struct UserHandle {
    client: Client,
    user_id: String,
}

impl UserHandle {
    pub(crate) fn new(client: Client, user_id: String) -> Self {
        Self { client, user_id }
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        &self.user_id
    }

    /// The organization invitations sent to this user's email addresses.
    pub fn organization_invitations(&self) -> UserInvitations {
        UserInvitations {
            client: self.client.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// A user's organization invitations; see [`UserHandle::organization_invitations`].
#[derive(Debug, Clone)]
pub struct UserInvitations {
    client: Client,
    user_id: String,
}

impl UserInvitations {
    /// Lists them; each carries `public_organization_data`.
    pub fn list(&self) -> ListUserInvitations {
        ListUserInvitations {
            client: self.client.clone(),
            user_id: self.user_id.clone(),
            status: None,
            limit: None,
            offset: None,
        }
    }
}

/// Lists a user's invitations; see [`UserInvitations::list`]. Clerk's route takes `status`,
/// `limit` and `offset` only.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListUserInvitations {
    client: Client,
    user_id: String,
    status: Option<InvitationStatus>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl ListUserInvitations {
    /// Only invitations with this status.
    pub fn status(mut self, status: impl Into<InvitationStatus>) -> Self {
        self.status = Some(status.into());
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
        validate::id("user_id", &self.user_id)?;
        if let Some(status) = &self.status {
            validate::role("status", status.as_str())?;
        }
        if let Some(limit) = self.limit {
            validate::limit(limit)?;
        }
        Ok(())
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
        self.validate()?;
        let mut query = Vec::with_capacity(3);
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(offset) = self.offset {
            query.push(("offset", offset.to_string()));
        }
        if let Some(status) = &self.status {
            query.push(("status", status.as_str().to_owned()));
        }
        let segments = ["users", self.user_id.as_str(), "organization_invitations"];
        let raw: types::OrganizationInvitationsWithPublicOrganizationData = self
            .client
            .execute(Operation::ListUserInvitations, |t| {
                t.get_json(&segments, &query)
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
