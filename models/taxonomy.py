"""Taxonomies and their terms (HSDS taxonomy, taxonomy_term)."""

from sqlmodel import Field, SQLModel

from models.base import new_id


class Taxonomy(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    description: str = ""
    uri: str | None = Field(default=None, max_length=500)
    version: str | None = Field(default=None, max_length=50)


class TaxonomyTerm(SQLModel, table=True):
    __tablename__ = "taxonomy_term"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str | None = Field(default=None, max_length=100, index=True)
    name: str = Field(max_length=200)
    description: str = ""
    parent_id: str | None = Field(default=None, foreign_key="taxonomy_term.id")
    taxonomy: str | None = Field(default=None, max_length=200)
    taxonomy_id: str | None = Field(default=None, foreign_key="taxonomy.id", index=True)
    language: str | None = Field(default=None, max_length=10)
    term_uri: str | None = Field(default=None, max_length=500)
