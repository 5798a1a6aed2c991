/* passkeys: being built. */
