// implemented by its module's owner
