"""The worker portal: pages for filing a claim and following it, over the platform's own interfaces."""
