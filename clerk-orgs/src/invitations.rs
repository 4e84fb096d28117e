//! One organization's invitations: [`Invitations`] and its request builders.
//!
//! Builders own a [`Client`] clone (an `Arc` bump), so their futures and streams are `'static`
//! and can be spawned. Setters only store; every rule is checked in `send()`, before anything is
//! sent, so a builder chain never panics or fails half-way.

use std::num::NonZeroU64;

use clerk_bapi_sys::types;
use futures::StreamExt;
use futures::stream::BoxStream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::Client;
use crate::duplicates::{self, Asked};
use crate::error::{Error, ValidationError};
use crate::models::{InvitationStatus, OrganizationInvitation, Role};
use crate::operation::Operation;
use crate::pagination::{self, DEFAULT_STREAM_PAGE, Page};
use crate::resilience::{RequestOptions, request_option_setters};
use crate::validate;

/// One organization; see [`Client::organization`].
#[derive(Debug, Clone)]
pub struct OrganizationHandle {
    client: Client,
    organization_id: String,
}

impl OrganizationHandle {
    pub(crate) fn new(client: Client, organization_id: String) -> Self {
        Self {
            client,
            organization_id,
        }
    }

    /// The organization's id.
    pub fn id(&self) -> &str {
        &self.organization_id
    }

    /// Its invitations.
    pub fn invitations(&self) -> Invitations {
        Invitations {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
        }
    }
}

/// The invitations of one organization: create, bulk-create, list, get and revoke.
#[derive(Debug, Clone)]
pub struct Invitations {
    client: Client,
    organization_id: String,
}

impl Invitations {
    /// Invites `email_address` with `role` (`Role::MEMBER`, `Role::ADMIN` or any role key such as
    /// `"org:billing"`). Set options on the builder, then `send()`.
    pub fn create(
        &self,
        email_address: impl Into<String>,
        role: impl Into<Role>,
    ) -> CreateInvitation {
        self.create_from(NewInvitation::new(email_address, role))
    }

    /// A create of an already built [`NewInvitation`] (used by `invite_all`).
    pub(crate) fn create_from(&self, invitation: NewInvitation) -> CreateInvitation {
        CreateInvitation {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            invitation,
            options: RequestOptions::default(),
        }
    }

    /// The client behind these invitations.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The organization's id.
    pub(crate) fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// Invites 1 to 10 people in one request; Clerk creates all of them or none.
    pub fn create_bulk(
        &self,
        invitations: impl IntoIterator<Item = NewInvitation>,
    ) -> CreateInvitationsBulk {
        CreateInvitationsBulk {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            invitations: invitations.into_iter().collect(),
            options: RequestOptions::default(),
        }
    }

    /// Lists invitations: one page with `send()`, all of them with `stream()`.
    pub fn list(&self) -> ListInvitations {
        ListInvitations {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            status: None,
            email_address: None,
            order_by: None,
            limit: None,
            offset: None,
            options: RequestOptions::default(),
        }
    }

    /// Lists pending invitations through Clerk's deprecated `/invitations/pending` route.
    #[deprecated(
        note = "Clerk deprecated this route; use `list().status(InvitationStatus::Pending)`"
    )]
    pub fn list_pending(&self) -> ListPendingInvitations {
        ListPendingInvitations {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            limit: None,
            offset: None,
        }
    }

    /// Fetches one invitation.
    pub fn get(&self, invitation_id: impl Into<String>) -> GetInvitation {
        GetInvitation {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// Revokes a pending invitation.
    pub fn revoke(&self, invitation_id: impl Into<String>) -> RevokeInvitation {
        RevokeInvitation {
            client: self.client.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            requesting_user_id: None,
            options: RequestOptions::default(),
        }
    }
}

/// One invitation to create, alone ([`Invitations::create`]) or in bulk
/// ([`Invitations::create_bulk`]). Serializes to exactly the JSON Clerk receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NewInvitation {
    email_address: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inviter_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notify: Option<bool>,
}

/// The optional setters shared by [`NewInvitation`] and [`CreateInvitation`].
macro_rules! invitation_setters {
    () => {
        /// The user who invites (must be an admin of the organization); shown to the invitee.
        pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
            self.new_invitation().inviter_user_id = Some(user_id.into());
            self
        }

        /// Where the invitee lands after accepting: an absolute `http(s)` URL or a path
        /// starting with `/`.
        pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
            self.new_invitation().redirect_url = Some(url.into());
            self
        }

        /// Metadata the invitee's user gets, visible to the frontend; must be a JSON object.
        pub fn public_metadata(mut self, metadata: impl Into<Value>) -> Self {
            self.new_invitation().public_metadata = Some(metadata.into());
            self
        }

        /// Metadata visible to the backend only; must be a JSON object.
        pub fn private_metadata(mut self, metadata: impl Into<Value>) -> Self {
            self.new_invitation().private_metadata = Some(metadata.into());
            self
        }

        /// Days until the invitation expires, 1 to 365 (Clerk's default is 30).
        pub fn expires_in_days(mut self, days: u32) -> Self {
            self.new_invitation().expires_in_days = Some(days);
            self
        }

        /// Whether Clerk emails the invitee (Clerk's default is `true`).
        pub fn notify(mut self, notify: bool) -> Self {
            self.new_invitation().notify = Some(notify);
            self
        }
    };
}

impl NewInvitation {
    /// An invitation of `email_address` with `role`; options as on [`CreateInvitation`].
    pub fn new(email_address: impl Into<String>, role: impl Into<Role>) -> Self {
        Self {
            email_address: email_address.into(),
            role: role.into(),
            inviter_user_id: None,
            redirect_url: None,
            public_metadata: None,
            private_metadata: None,
            expires_in_days: None,
            notify: None,
        }
    }

    invitation_setters!();

    fn new_invitation(&mut self) -> &mut NewInvitation {
        self
    }

    /// The invitee's email address.
    pub fn email_address(&self) -> &str {
        &self.email_address
    }

    /// The role to grant.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Checks every rule that sending checks, and sends nothing: for a dry run, or to report
    /// every bad row of an import before inviting anyone.
    pub fn validate(&self) -> Result<(), Error> {
        self.clone().into_wire("")?;
        Ok(())
    }

    /// Checks every rule and builds the wire body; `prefix` locates the item in a bulk request
    /// (`invitations[3].`) so the error names the exact field.
    pub(crate) fn into_wire(
        self,
        prefix: &str,
    ) -> Result<types::CreateOrganizationInvitationBody, ValidationError> {
        // Field names are static and only get the bulk item's prefix on failure: a `format!`
        // per field would cost five allocations on every valid create.
        let located = |error: ValidationError| error.prefixed(prefix);
        validate::email("email_address", &self.email_address).map_err(located)?;
        validate::role("role", self.role.as_str()).map_err(located)?;
        if let Some(user_id) = &self.inviter_user_id {
            validate::id("inviter_user_id", user_id).map_err(located)?;
        }
        if let Some(url) = &self.redirect_url {
            validate::redirect_url("redirect_url", url).map_err(located)?;
        }
        let public_metadata = self
            .public_metadata
            .map(|m| validate::metadata("public_metadata", m).map_err(located))
            .transpose()?;
        let private_metadata = self
            .private_metadata
            .map(|m| validate::metadata("private_metadata", m).map_err(located))
            .transpose()?;
        let expires_in_days = match self.expires_in_days {
            Some(days) => {
                validate::expires_in_days("expires_in_days", days).map_err(located)?;
                NonZeroU64::new(u64::from(days))
            }
            None => None,
        };
        Ok(types::CreateOrganizationInvitationBody {
            email_address: self.email_address,
            role: self.role.as_str().to_owned(),
            inviter_user_id: self.inviter_user_id,
            redirect_url: self.redirect_url,
            public_metadata,
            private_metadata,
            expires_in_days,
            notify: self.notify,
        })
    }
}

/// Creates one invitation; see [`Invitations::create`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateInvitation {
    client: Client,
    organization_id: String,
    invitation: NewInvitation,
    options: RequestOptions,
}

impl CreateInvitation {
    invitation_setters!();
    request_option_setters!();

    fn new_invitation(&mut self) -> &mut NewInvitation {
        &mut self.invitation
    }

    /// Checks every rule [`send`](Self::send) checks, including the organization ID, and sends
    /// nothing.
    pub fn validate(&self) -> Result<(), Error> {
        validate::id("organization_id", &self.organization_id)?;
        self.invitation.validate()
    }

    /// Validates and sends the request. If an attempt's answer is lost, the invitation it
    /// created is returned when the evidence shows it is this call's; see the
    /// [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        let body = self.invitation.into_wire("")?;
        let organization_id = self.organization_id;
        let result = self
            .client
            .execute_with(Operation::CreateInvitation, &self.options, |t| {
                t.sys
                    .create_organization_invitation()
                    .organization_id(organization_id.as_str())
                    .body(body.clone())
                    .send()
            })
            .await;
        match result {
            Ok(raw) => Ok(OrganizationInvitation::from_raw(raw)),
            Err(failure) => {
                let asked = [Asked::of(&body)];
                // Boxed: this path runs only after a failure, and inline its future would make
                // every create's future larger, to be moved around on every successful call.
                let recovered = Box::pin(duplicates::recover_lost_creates(
                    &self.client,
                    &organization_id,
                    Operation::CreateInvitation,
                    &asked,
                    failure,
                    &self.options,
                ))
                .await?;
                // One asked, so one found; anything else is a bug here, after sending.
                recovered
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Internal("settling a lost create returned no invitation"))
            }
        }
    }
}

/// Creates 1 to 10 invitations in one request; see [`Invitations::create_bulk`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateInvitationsBulk {
    client: Client,
    organization_id: String,
    invitations: Vec<NewInvitation>,
    options: RequestOptions,
}

impl CreateInvitationsBulk {
    request_option_setters!();

    /// Validates every item and sends them in one request. Clerk creates all or none.
    pub async fn send(self) -> Result<Vec<OrganizationInvitation>, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::bulk_size(self.invitations.len())?;
        let body = self
            .invitations
            .into_iter()
            .enumerate()
            .map(|(n, invitation)| {
                let item = invitation.into_wire(&format!("invitations[{n}]."))?;
                Ok(types::CreateOrganizationInvitationBulkBodyItem {
                    email_address: item.email_address,
                    role: item.role,
                    inviter_user_id: item.inviter_user_id,
                    redirect_url: item.redirect_url,
                    public_metadata: item.public_metadata,
                    private_metadata: item.private_metadata,
                    expires_in_days: item.expires_in_days,
                    notify: item.notify,
                })
            })
            .collect::<Result<Vec<_>, ValidationError>>()?;
        let organization_id = self.organization_id;
        let result = self
            .client
            .execute_with(Operation::CreateInvitationsBulk, &self.options, |t| {
                t.sys
                    .create_organization_invitation_bulk()
                    .organization_id(organization_id.as_str())
                    .body(body.clone())
                    .send()
            })
            .await;
        match result {
            Ok(raw) => Ok(raw
                .data
                .into_iter()
                .map(OrganizationInvitation::from_raw)
                .collect()),
            // All or nothing: if a lost attempt landed, every email of the batch is ours.
            Err(failure) => {
                let asked: Vec<Asked<'_>> = body.iter().map(Asked::of_item).collect();
                // Boxed for the same reason as in `CreateInvitation::send`.
                Box::pin(duplicates::recover_lost_creates(
                    &self.client,
                    &organization_id,
                    Operation::CreateInvitationsBulk,
                    &asked,
                    failure,
                    &self.options,
                ))
                .await
            }
        }
    }
}

/// Lists an organization's invitations; see [`Invitations::list`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListInvitations {
    client: Client,
    organization_id: String,
    status: Option<InvitationStatus>,
    email_address: Option<String>,
    order_by: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    options: RequestOptions,
}

impl ListInvitations {
    request_option_setters!();

    /// Only invitations with this status.
    pub fn status(mut self, status: impl Into<InvitationStatus>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Only invitations to this email address.
    pub fn email_address(mut self, email_address: impl Into<String>) -> Self {
        self.email_address = Some(email_address.into());
        self
    }

    /// Sort order: `created_at` or `email_address`, prefixed with `+` (ascending) or `-`
    /// (descending); Clerk's default is `-created_at`.
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
        validate::id("organization_id", &self.organization_id)?;
        if let Some(status) = &self.status {
            validate::role("status", status.as_str())?;
        }
        if let Some(email) = &self.email_address {
            validate::text("email_address", email)?;
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
            .execute_with(Operation::ListInvitations, &self.options, |t| {
                let mut request = t
                    .sys
                    .list_organization_invitations()
                    .organization_id(self.organization_id.as_str());
                if let Some(status) = &self.status {
                    request = request.status(status.as_str());
                }
                if let Some(email) = &self.email_address {
                    request = request.email_address(email.as_str());
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
                .map(OrganizationInvitation::from_raw)
                .collect(),
            raw.total_count,
        ))
    }

    /// Every matching invitation from `offset` on, fetched lazily page by page. A validation
    /// failure or any request's error is yielded as an item and ends the stream.
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

/// Lists pending invitations via the deprecated route; see [`Invitations::list_pending`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct ListPendingInvitations {
    client: Client,
    organization_id: String,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl ListPendingInvitations {
    /// Page size, 1 to 500.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Items to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
        validate::id("organization_id", &self.organization_id)?;
        if let Some(limit) = self.limit {
            validate::limit(limit)?;
        }
        let raw = self
            .client
            .execute(Operation::ListPendingInvitations, |t| {
                let mut request = t
                    .sys
                    .list_pending_organization_invitations()
                    .organization_id(self.organization_id.as_str());
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
                .map(OrganizationInvitation::from_raw)
                .collect(),
            raw.total_count,
        ))
    }
}

/// Fetches one invitation; see [`Invitations::get`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct GetInvitation {
    client: Client,
    organization_id: String,
    invitation_id: String,
    options: RequestOptions,
}

impl GetInvitation {
    request_option_setters!();

    /// Validates the IDs and fetches the invitation.
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("invitation_id", &self.invitation_id)?;
        let raw = self
            .client
            .execute_with(Operation::GetInvitation, &self.options, |t| {
                t.sys
                    .get_organization_invitation()
                    .organization_id(self.organization_id.as_str())
                    .invitation_id(self.invitation_id.as_str())
                    .send()
            })
            .await?;
        Ok(OrganizationInvitation::from_raw(raw))
    }
}

/// Revokes a pending invitation; see [`Invitations::revoke`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct RevokeInvitation {
    client: Client,
    organization_id: String,
    invitation_id: String,
    requesting_user_id: Option<String>,
    options: RequestOptions,
}

impl RevokeInvitation {
    request_option_setters!();

    /// The user revoking it (must be an admin of the organization).
    pub fn requesting_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.requesting_user_id = Some(user_id.into());
        self
    }

    /// Validates and sends the request; returns the revoked invitation.
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("invitation_id", &self.invitation_id)?;
        if let Some(user_id) = &self.requesting_user_id {
            validate::id("requesting_user_id", user_id)?;
        }
        let result = self
            .client
            .execute_with(Operation::RevokeInvitation, &self.options, |t| {
                t.sys
                    .revoke_organization_invitation()
                    .organization_id(self.organization_id.as_str())
                    .invitation_id(self.invitation_id.as_str())
                    .body(types::RevokeOrganizationInvitationBody {
                        requesting_user_id: self.requesting_user_id.clone(),
                    })
                    .send()
            })
            .await;
        match result {
            Ok(raw) => Ok(OrganizationInvitation::from_raw(raw)),
            Err(failure) => {
                duplicates::recover_lost_revoke(
                    &self.client,
                    &self.organization_id,
                    &self.invitation_id,
                    failure,
                    &self.options,
                )
                .await
            }
        }
    }
}
