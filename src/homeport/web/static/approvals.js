/* approvals: being built. */
