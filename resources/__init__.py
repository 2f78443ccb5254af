"""Files that ship with RepoWiki: the embedding tokenizer, icons."""
