"""What hil pushes to boards and scores against: models with their cards, clips with their labels."""
