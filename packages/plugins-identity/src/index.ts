/**
 * Identity provider plugins for the Cloud Exchange risk exchange: Okta (user risk, group membership) and Microsoft Entra ID (risky users from Microsoft Graph, group membership).
 *
 * @module
 */
export {};
