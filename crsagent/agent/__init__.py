"""The agent: a LangGraph planner over the tools and the policy (offline or with an LLM)."""
