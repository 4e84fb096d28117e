//! Users on the wire: the spec's `User`, as `GET /v1/users` lists them (a bare JSON array).
//!
//! The fake keeps a user's names, username, addresses, phone number and wallet; everything
//! else a Clerk user has (passwords, MFA, external accounts, metadata) is shown as a user
//! created through the Backend API that never signed in would show it.

use serde::Serialize;

use super::{DEFAULT_IMAGE_URL, EmptyObject, to_bytes};
use crate::state::User;

#[derive(Serialize)]
struct UserBody<'a> {
    object: &'static str,
    id: &'a str,
    external_id: Option<&'a str>,
    primary_email_address_id: Option<String>,
    primary_phone_number_id: Option<String>,
    primary_web3_wallet_id: Option<String>,
    username: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    profile_image_url: &'static str,
    image_url: &'static str,
    has_image: bool,
    public_metadata: EmptyObject,
    private_metadata: EmptyObject,
    unsafe_metadata: EmptyObject,
    email_addresses: Vec<Identification<'a>>,
    phone_numbers: Vec<Identification<'a>>,
    web3_wallets: Vec<Wallet<'a>>,
    passkeys: [(); 0],
    password_enabled: bool,
    two_factor_enabled: bool,
    totp_enabled: bool,
    backup_code_enabled: bool,
    mfa_enabled_at: Option<i64>,
    mfa_disabled_at: Option<i64>,
    external_accounts: [(); 0],
    saml_accounts: [(); 0],
    enterprise_accounts: [(); 0],
    last_sign_in_at: Option<i64>,
    banned: bool,
    locked: bool,
    lockout_expires_in_seconds: Option<i64>,
    verification_attempts_remaining: Option<i64>,
    created_at: i64,
    updated_at: i64,
    delete_self_enabled: bool,
    create_organization_enabled: bool,
    last_active_at: Option<i64>,
    legal_accepted_at: Option<i64>,
}

/// An `EmailAddress` or a `PhoneNumber`: the same shape but for the name of the value.
#[derive(Serialize)]
struct Identification<'a> {
    id: String,
    object: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    reserved: bool,
    verification: Verified,
    linked_to: [(); 0],
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize)]
struct Wallet<'a> {
    id: String,
    object: &'static str,
    web3_wallet: &'a str,
    verification: Verified,
    created_at: i64,
    updated_at: i64,
}

/// A seeded identification is verified, as if an admin had added it, unless it is one of the
/// user's unverified email addresses.
#[derive(Serialize)]
struct Verified {
    object: &'static str,
    status: &'static str,
    strategy: &'static str,
    attempts: Option<u32>,
    expire_at: Option<i64>,
}

fn verified() -> Verified {
    Verified {
        object: "verification_admin",
        status: "verified",
        strategy: "admin",
        attempts: None,
        expire_at: None,
    }
}

/// An address added by the user and never confirmed: a code was sent and not entered.
fn unverified() -> Verified {
    Verified {
        object: "verification_otp",
        status: "unverified",
        strategy: "email_code",
        attempts: Some(0),
        expire_at: None,
    }
}

/// A stable id for the `n`-th identification of a user: the user id's body with another prefix
/// and the position (Clerk's are random; the fake's must not change between requests).
fn identification_id(prefix: &str, user_id: &str, n: usize) -> String {
    let body = user_id.split_once('_').map_or(user_id, |(_, body)| body);
    format!("{prefix}_{body}{n}")
}

fn body(user: &User, created_at: i64) -> UserBody<'_> {
    let email_addresses: Vec<Identification<'_>> = user
        .email_addresses()
        .map(|email| (email, verified()))
        .chain(
            user.unverified_email_addresses
                .iter()
                .map(|email| (email.as_str(), unverified())),
        )
        .enumerate()
        .map(|(n, (email, verification))| Identification {
            id: identification_id("idn", &user.id, n),
            object: "email_address",
            email_address: Some(email),
            phone_number: None,
            reserved: false,
            verification,
            linked_to: [],
            created_at,
            updated_at: created_at,
        })
        .collect();
    let phone_numbers: Vec<Identification<'_>> = user
        .phone_number
        .as_deref()
        .map(|phone| Identification {
            id: identification_id("idn", &user.id, 100),
            object: "phone_number",
            email_address: None,
            phone_number: Some(phone),
            reserved: false,
            verification: verified(),
            linked_to: [],
            created_at,
            updated_at: created_at,
        })
        .into_iter()
        .collect();
    let web3_wallets: Vec<Wallet<'_>> = user
        .web3_wallet
        .as_deref()
        .map(|wallet| Wallet {
            id: identification_id("idn", &user.id, 200),
            object: "web3_wallet",
            web3_wallet: wallet,
            verification: verified(),
            created_at,
            updated_at: created_at,
        })
        .into_iter()
        .collect();
    UserBody {
        object: "user",
        id: &user.id,
        external_id: None,
        primary_email_address_id: email_addresses.first().map(|e| e.id.clone()),
        primary_phone_number_id: phone_numbers.first().map(|p| p.id.clone()),
        primary_web3_wallet_id: web3_wallets.first().map(|w| w.id.clone()),
        username: user.username.as_deref(),
        first_name: user.first_name.as_deref(),
        last_name: user.last_name.as_deref(),
        profile_image_url: DEFAULT_IMAGE_URL,
        image_url: DEFAULT_IMAGE_URL,
        has_image: false,
        public_metadata: EmptyObject {},
        private_metadata: EmptyObject {},
        unsafe_metadata: EmptyObject {},
        email_addresses,
        phone_numbers,
        web3_wallets,
        passkeys: [],
        password_enabled: false,
        two_factor_enabled: false,
        totp_enabled: false,
        backup_code_enabled: false,
        mfa_enabled_at: None,
        mfa_disabled_at: None,
        external_accounts: [],
        saml_accounts: [],
        enterprise_accounts: [],
        last_sign_in_at: None,
        banned: false,
        locked: false,
        lockout_expires_in_seconds: None,
        verification_attempts_remaining: None,
        created_at,
        updated_at: created_at,
        delete_self_enabled: true,
        create_organization_enabled: true,
        last_active_at: user.last_active_at,
        legal_accepted_at: None,
    }
}

/// A page of users as a bare JSON array (`GetUserList` has no `{data, total_count}` envelope).
pub(crate) fn users(users: &[(User, i64)]) -> Vec<u8> {
    let bodies: Vec<UserBody<'_>> = users.iter().map(|(u, at)| body(u, *at)).collect();
    to_bytes(&bodies)
}
