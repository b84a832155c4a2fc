// placeholder: replaced by the agent bundle build
