"""Layer 9 (beside the plugin): scimcheck load, Entra's provisioning cycles at a rate on Locust,
its plan and its reports.
"""
