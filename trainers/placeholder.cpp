// (trainers are added by later issues)
