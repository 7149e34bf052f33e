// Credentials of the end-to-end server (playwright.config.ts passes them to `npm start`).

/** ADMIN_PASSWORD of the server. */
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';
/** API_KEY (admin rights) of the server. */
export const E2E_API_KEY = 'e2e-admin-api-key-0123456789';
