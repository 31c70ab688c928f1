"""Layer 8, generated users: Hypothesis strategies, the generated-user properties and the lifecycle
state machine.
"""
